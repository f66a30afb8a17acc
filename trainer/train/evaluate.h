// Evaluate: mean loss and accuracy of a model over (part of) a data set,
// in evaluation mode (no dropout), batch by batch.
//
// Accuracy: argmax of the outputs against the label; with one output, the
// prediction is output > 0 (a logit) for binary_cross_entropy and
// output > 0.5 otherwise.
//
// Thread-safety: drives the model; one thread.
#pragma once

#include <string>

#include "trainer/data/dataset.h"
#include "trainer/losses/loss.h"
#include "trainer/model/sequential.h"

namespace jobctl::trainer {

struct EvalResult {
  double loss_sum = 0.0;  // sum over samples of the per-sample loss
  int correct = 0;
  int count = 0;
  double loss() const { return count > 0 ? loss_sum / count : 0.0; }
  double accuracy() const { return count > 0 ? static_cast<double>(correct) / count : 0.0; }
};

// Samples [begin, data.count). `threshold` is the single-output cut.
EvalResult Evaluate(Sequential* model, const Loss& loss, const Dataset& data, int begin,
                    int batch_size, float threshold);

// Copies rows `indices[first, first+n)` of data into batch / labels.
void GatherBatch(const Dataset& data, const int* indices, int n, Tensor* batch,
                 std::vector<int>* labels);

// Number of rows of `output` whose prediction equals the label.
int CountCorrect(const Tensor& output, const int* labels, float threshold);

}  // namespace jobctl::trainer
