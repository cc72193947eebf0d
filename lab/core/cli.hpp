// The subcommands of gelu-lab, one file each (cmd_list.cpp, cmd_run.cpp, cmd_report.cpp). Each
// adds itself to the CLI11 app and sets a callback that throws LabError on failure.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace gelu::lab {

void AddListCommand(CLI::App& app);
void AddRunCommand(CLI::App& app);
void AddReportCommand(CLI::App& app);

// Every activation id the lab accepts: libgelu's list (src/act/activations.def) plus the torch
// modules with parameters or noise.
const std::vector<std::string>& KnownActivations();

}  // namespace gelu::lab
