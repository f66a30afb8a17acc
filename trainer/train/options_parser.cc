#include "trainer/train/options_parser.h"

#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

namespace jobctl::trainer {
namespace {

const std::set<std::string>& FlagNames() {
  static const std::set<std::string> kFlags = {"nesterov", "resume"};
  return kFlags;
}

// Turns a YAML map into `--key value` arguments, checking each key is an
// option of `app`.
Result<std::vector<std::string>> ConfigArguments(const std::string& path, CLI::App& app) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return NotFoundError("--config: " + path + ": cannot open");
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("--config: " + path + ": " + e.what());
  }
  if (root.IsNull()) return std::vector<std::string>{};
  if (!root.IsMap()) {
    return InvalidArgumentError("--config: " + path + ": expected a map of option: value");
  }
  std::vector<std::string> args;
  for (const auto& item : root) {
    std::string key = item.first.as<std::string>();
    std::replace(key.begin(), key.end(), '_', '-');
    const auto line = std::to_string(item.first.Mark().line + 1);
    if (key == "config" || app.get_option_no_throw("--" + key) == nullptr) {
      return InvalidArgumentError("--config: " + path + ":" + line + ": unknown key \"" +
                                  item.first.as<std::string>() + "\"");
    }
    if (!item.second.IsScalar()) {
      return InvalidArgumentError("--config: " + path + ":" + line + ": \"" + key +
                                  "\" must be a single value");
    }
    std::string value = item.second.as<std::string>();
    if (FlagNames().count(key) != 0) {
      if (value == "true" || value == "yes" || value == "1") {
        args.push_back("--" + key);
      } else if (value != "false" && value != "no" && value != "0") {
        return InvalidArgumentError("--config: " + path + ":" + line + ": \"" + key +
                                    "\" must be true or false");
      }
      continue;
    }
    args.push_back("--" + key);
    args.push_back(value);
  }
  return args;
}

}  // namespace

Result<ParsedCommand> ParseCommandLine(int argc, const char* const* argv) {
  TrainOptions train;
  PredictOptions predict;
  int train_split = -1;
  long long shuffle_split = -1;
  float lr = -1.0f;
  float eps = -1.0f;
  std::string config;

  CLI::App app{"jobtrainer: data-parallel trainer (CPU)", "jobtrainer"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--config", config, "YAML file of options (keys = option names)");
  app.add_option("--data", train.data, "training data: mnist:DIR, idx:IMAGES,LABELS, csv:FILE");
  app.add_option("--val-data", train.val_data, "validation data (same forms as --data)");
  app.add_option("--train-split", train_split, "first N samples train, the rest validate");
  app.add_option("--shuffle-split", shuffle_split, "shuffle with this seed before --train-split");
  app.add_option("--model", train.model, "mlp:IN-H1-...-OUT, logreg:IN-OUT or cnn");
  app.add_option("--activation", train.activation, "relu, tanh or sigmoid (mlp)");
  app.add_option("--dropout", train.dropout, "dropout probability after hidden activations");
  app.add_option("--loss", train.loss, "cross_entropy, binary_cross_entropy or mse");
  app.add_option("--optimizer", train.optimizer.name, "sgd, adam or adadelta");
  app.add_option("--lr", lr, "learning rate (default: sgd 0.01, adam 1e-3, adadelta 1.0)");
  app.add_option("--momentum", train.optimizer.momentum, "sgd momentum");
  app.add_option("--dampening", train.optimizer.dampening, "sgd dampening");
  app.add_flag("--nesterov", train.optimizer.nesterov, "sgd Nesterov momentum");
  app.add_option("--weight-decay", train.optimizer.weight_decay, "L2 weight decay");
  app.add_option("--beta1", train.optimizer.beta1, "adam beta1");
  app.add_option("--beta2", train.optimizer.beta2, "adam beta2");
  app.add_option("--eps", eps, "adam (1e-8) / adadelta (1e-6) epsilon");
  app.add_option("--rho", train.optimizer.rho, "adadelta rho");
  app.add_option("--batch-size", train.batch_size, "global batch size");
  app.add_option("--epochs", train.epochs, "epochs to train (in total, when resuming)");
  app.add_option("--threads", train.threads, "compute threads per rank");
  app.add_option("--device", train.device, "cpu, cuda or auto");
  app.add_option("--outputs", train.outputs, "outputs folder (checkpoints, model)");
  app.add_option("--seed", train.seed, "seed of initialisation, shuffling and dropout");
  app.add_option("--checkpoint-dir", train.checkpoint_dir,
                 "checkpoints folder (default: <outputs>/checkpoints); for jobs with retries, "
                 "a path every node sees, one per job");
  app.add_flag("--resume", train.resume,
               "continue from the latest checkpoint in --checkpoint-dir (none: from epoch 1)");
  app.add_option("--normalize", train.normalize, "scale, standard or none");

  CLI::App* predict_cmd = app.add_subcommand("predict", "evaluate a saved model on data");
  predict_cmd->add_option("--model-file", predict.model_file, "model.safetensors to load");
  predict_cmd->add_option("--data", predict.data, "data spec, as for training");
  predict_cmd->add_option("--model", predict.model, "model spec (default: from the file)");
  predict_cmd->add_option("--activation", predict.activation, "default: from the file");
  predict_cmd->add_option("--loss", predict.loss, "loss to report");
  predict_cmd->add_option("--skip", predict.skip, "evaluate from sample N on");
  predict_cmd->add_option("--batch-size", predict.batch_size, "evaluation batch size");
  predict_cmd->add_option("--threads", predict.threads, "compute threads");

  // The config file's options go first, so the command line wins.
  std::vector<std::string> args = {argc > 0 ? argv[0] : "jobtrainer"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "predict") break;
    std::string path;
    if (arg == "--config" && i + 1 < argc) path = argv[i + 1];
    if (arg.starts_with("--config=")) path = arg.substr(9);
    if (!path.empty()) {
      JOBCTL_ASSIGN_OR_RETURN(auto extra, ConfigArguments(path, app));
      args.insert(args.end(), extra.begin(), extra.end());
    }
  }
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  std::vector<const char*> pointers;
  for (const auto& a : args) pointers.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(pointers.size()), pointers.data());
  } catch (const CLI::CallForHelp& e) {
    std::ostringstream out, err;
    app.exit(e, out, err);
    return ParsedCommand(HelpRequested{out.str()});
  } catch (const CLI::ParseError& e) {
    return InvalidArgumentError(e.what());
  }

  if (predict_cmd->parsed()) {
    if (predict.model_file.empty()) return InvalidArgumentError("predict: --model-file is required");
    if (predict.data.empty()) return InvalidArgumentError("predict: --data is required");
    if (predict.skip < 0) return InvalidArgumentError("--skip: must be >= 0");
    if (predict.batch_size <= 0) return InvalidArgumentError("--batch-size: must be > 0");
    if (predict.threads <= 0) return InvalidArgumentError("--threads: must be > 0");
    return ParsedCommand(predict);
  }
  if (train.data.empty()) return InvalidArgumentError("--data is required");
  if (train_split >= 0) train.train_split = train_split;
  if (shuffle_split >= 0) train.shuffle_split = static_cast<uint64_t>(shuffle_split);
  if (lr >= 0.0f) train.optimizer.lr = lr;
  if (eps >= 0.0f) train.optimizer.eps = eps;
  if (app.get_option("--train-split")->count() > 0 && train_split <= 0) {
    return InvalidArgumentError("--train-split: must be > 0, got " + std::to_string(train_split));
  }
  if (app.get_option("--lr")->count() > 0 && lr < 0.0f) {
    return InvalidArgumentError("--lr: must be >= 0");
  }
  if (train.batch_size <= 0) return InvalidArgumentError("--batch-size: must be > 0");
  if (train.epochs <= 0) return InvalidArgumentError("--epochs: must be > 0");
  if (train.threads <= 0) return InvalidArgumentError("--threads: must be > 0");
  if (train.dropout < 0.0f || train.dropout >= 1.0f) {
    return InvalidArgumentError("--dropout: must be in [0, 1)");
  }
  if (train.device != "cpu" && train.device != "cuda" && train.device != "auto") {
    return InvalidArgumentError("--device: unknown device \"" + train.device +
                                "\" (expected cpu, cuda or auto)");
  }
  return ParsedCommand(train);
}

}  // namespace jobctl::trainer
