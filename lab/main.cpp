// gelu-lab: the GELU paper's experiments from the command line (see `gelu-lab --help` and
// DESIGN.md "gelu-lab: command line and results"). The one catch of the lab lives here.
#include <cstdio>
#include <exception>

#include "lab/core/cli.hpp"
#include "lab/core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"gelu-lab: the GELU paper's experiments (list, run, report)", "gelu-lab"};
  app.require_subcommand(1);
  gelu::lab::AddListCommand(app);
  gelu::lab::AddRunCommand(app);
  gelu::lab::AddReportCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "gelu-lab: error: %s; hint: gelu-lab --help, gelu-lab run --help\n",
                 e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "\ngelu-lab: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
