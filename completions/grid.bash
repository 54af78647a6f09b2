# bash completion for grid.
# Install: source this file, or copy it to /usr/share/bash-completion/completions/grid.
# The candidates (commands, options, live cluster and instance ids) come from `grid __complete`.

_grid() {
    local IFS=$'\n' line out
    out=$("${COMP_WORDS[0]}" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
    COMPREPLY=()
    for line in $out; do
        COMPREPLY+=("${line%%$'\t'*}")
    done
}

complete -o default -F _grid grid
