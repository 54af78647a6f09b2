#include "cli/output/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

#include "cli/context.hpp"
#include "cli/output/style.hpp"
#include "core/text.hpp"

namespace cli {

ProgressObserver::ProgressObserver(Context& ctx)
    : m_ctx(ctx), m_start(std::chrono::steady_clock::now()) {}

bool ProgressObserver::shown() const {
    if (m_ctx.global.verbose > 0) return true;
    return !m_ctx.quiet() && ::isatty(STDERR_FILENO);
}

void ProgressObserver::on_transition(const std::string& instance_id, core::State from,
                                     core::State to, const std::string& reason) {
    if (!shown()) return;
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    const bool color = m_ctx.color_stderr();
    std::cerr << fmt::format("{:>6.1f}s  {:<20} {} -> {}", t, instance_id,
                             paint(core::to_string(from), status_color(from), color),
                             paint(core::to_string(to), status_color(to), color));
    if (!reason.empty())
        std::cerr << paint("  (" + core::printable(reason) + ")", Color::Dim, color);
    std::cerr << '\n';
}

void ProgressObserver::on_progress(const std::string& message) {
    if (!shown() || message == m_last_progress) return;
    m_last_progress = message;
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    std::cerr << fmt::format("{:>6.1f}s  ", t)
              << paint(core::printable(message), Color::Dim, m_ctx.color_stderr()) << '\n';
}

void ProgressObserver::on_warning(const std::string& message) {
    std::cerr << "grid: warning: " << core::printable(message) << '\n';
}

}  // namespace cli

namespace cli {

bool ProgressObserver::tracing() const {
    return m_ctx.global.verbose >= 2;
}

void ProgressObserver::on_trace(const std::string& line) {
    std::cerr << paint(core::printable(line), Color::Dim, m_ctx.color_stderr()) << '\n';
}

}  // namespace cli
