// ringscope-cli: the command-line tool over the RingScope libraries.
#include "CliApp.h"

int main(int argc, char** argv) {
    return ringscope::cli::runCli(argc, argv);
}
