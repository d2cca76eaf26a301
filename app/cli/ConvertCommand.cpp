#include "CommandSupport.h"
#include "Commands.h"

#include "ringscope/model/checkpoint/Checkpoint.h"

namespace ringscope::cli {

int convertCommand(const Args& raw, std::ostream& out) {
    CliArgs args(raw, withModelOptions({"to"}), {});
    const std::string path = positionalAt(args, 0, "CHECKPOINT");
    const std::string target = positionalAt(args, 1, "OUT (the file to write)");
    const std::string to = args.require("to");
    if (to != "safetensors" && to != "ringscope")
        throw UsageError{"--to must be safetensors or ringscope, got '" + to + "'"};
    LoadedModel loaded = loadModelFromArgs(path, args);
    const nlohmann::json metadata = metadataForSave(*loaded.model, loaded.metadata);
    if (to == "safetensors")
        saveSafeTensors(target, loaded.model->weights(), metadata);
    else
        saveRingScopeCheckpoint(target, loaded.model->weights(), metadata);
    out << "wrote " << target << " (" << to << ", " << loaded.model->config().summary() << ")\n";
    return 0;
}

} // namespace ringscope::cli
