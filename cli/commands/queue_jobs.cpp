#include "cli/commands/queue_jobs.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <iostream>
#include <memory>

#include "cli/context.hpp"
#include "cli/help_text.hpp"
#include "cli/output/queue_views.hpp"
#include "core/errors.hpp"

namespace cli {

namespace {

const core::Job* find(const std::vector<core::Job>& queue, const std::string& id) {
    for (const auto& j : queue)
        if (j.id == id) return &j;
    return nullptr;
}

void run_action(Context& ctx, const JobAction& a, const std::vector<std::string>& ids) {
    for (const auto& id : ids)
        check_job_id(id);
    core::Scheduler& s = ctx.scheduler();
    const auto queue = s.jobs();
    // All or nothing: every job is checked before the first is touched.
    std::string missing;
    for (const auto& id : ids)
        if (!find(queue, id)) missing += (missing.empty() ? "" : ", ") + id;
    if (!missing.empty())
        throw core::Error(core::ErrorKind::NotFound, "no job " + missing + "; nothing was changed",
                          "list them with: grid queue list");
    for (const auto& id : ids) {
        const core::Job& j = *find(queue, id);
        if (!a.applies(j))
            throw core::Error(core::ErrorKind::InvalidState,
                              "cannot " + std::string(a.verb) + " job " + id + ": it is " +
                                  j.state + "; nothing was changed",
                              a.why);
    }
    if (a.destructive) {
        std::string list;
        for (const auto& id : ids)
            list += (list.empty() ? "" : " ") + id;
        if (!ctx.confirm(std::string(a.verb) + " job" + (ids.size() > 1 ? "s " : " ") + list,
                         "pass --yes to " + std::string(a.verb) + " without asking"))
            throw core::Error(core::ErrorKind::Usage, "not confirmed; nothing was changed");
    }
    a.act(s, queue, ids);

    const auto after = s.jobs();
    std::vector<const core::Job*> shown;
    for (const auto& id : ids)
        if (const auto* j = find(after, id)) shown.push_back(j);
    print_jobs(std::cout, shown, std::time(nullptr), ctx.json(), ctx.quiet(), ctx.color_stdout());
}

}  // namespace

void check_job_id(const std::string& id) {
    const bool valid = !id.empty() && id.front() != '_' &&
                       id.find_first_not_of("0123456789_") == std::string::npos;
    if (!valid)
        throw core::Error(core::ErrorKind::Usage, "'" + id + "' is not a job id",
                          "job ids are numbers, as grid queue list shows them");
}

bool is_pending(const core::Job& j) {
    return core::job_category(j.state) == core::JobCategory::Pending;
}

bool is_active(const core::Job& j) {
    const auto c = core::job_category(j.state);
    return c == core::JobCategory::Pending || c == core::JobCategory::Running;
}

bool is_pending_not_held(const core::Job& j) {
    return is_pending(j) && j.priority > 0;
}

void set_priorities(core::Scheduler& s, const std::map<std::string, std::int64_t>& priorities) {
    for (const auto& [id, p] : priorities) {
        core::JobUpdate u;
        u.priority = p;
        s.update(id, u);
    }
}

CLI::App* register_job_action(CLI::App& parent, Context& ctx, JobAction action) {
    auto ids = std::make_shared<std::vector<std::string>>();
    auto a = std::make_shared<JobAction>(std::move(action));
    auto* cmd = parent.add_subcommand(a->name, a->description);
    cmd->add_option("JOB", *ids, "Job ids")->required()->type_name("JOB");
    add_examples(*cmd, {std::string("grid queue ") + a->name + " 41 --cluster train",
                        std::string("grid queue ") + a->name + " 41 42 --profile hpc"});
    cmd->callback([&ctx, a, ids] { ctx.run = [&ctx, a, ids] { run_action(ctx, *a, *ids); }; });
    return cmd;
}

}  // namespace cli
