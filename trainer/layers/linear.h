// Linear: y = x W^T + b, W is [out, in] as in torch.nn.Linear.
//
// The parameter buffer holds W transposed ([in, out], see ParameterInfo), so
// that row i of it is what input feature i adds to every output. When the
// input is mostly zeros (MNIST pixels, ReLU outputs) the forward pass and
// the weight gradient walk only the nonzeros (SparseRows); otherwise they
// are dense GEMMs. Both give the same sums.
#pragma once

#include <string>

#include "trainer/layers/layer.h"
#include "trainer/tensor/sparse_matrix.h"

namespace jobctl::trainer {

class Linear : public Layer {
 public:
  // Reserves "<prefix>.weight" [out, in] and "<prefix>.bias" [out] in params.
  Linear(int in, int out, const std::string& prefix, ParameterBuffer* params);

  std::string Describe() const override;
  int in_features() const override { return in_; }
  int out_features() const override { return out_; }
  void Forward(const Tensor& in, Tensor* out, bool training) override;
  void Backward(const Tensor& in, const Tensor& out, const Tensor& grad_out,
                Tensor* grad_in) override;
  // Kaiming-uniform(a=sqrt(5)) weights and U(-1/sqrt(in), 1/sqrt(in)) bias.
  void Initialize(Pcg32* rng) override;

 private:
  int in_;
  int out_;
  ParameterBuffer* params_;
  size_t weight_offset_;  // [in, out]
  size_t bias_offset_;
  bool sparse_input_ = false;  // the last Forward's input went the sparse way
  SparseRows input_rows_;      // that input, by sample
  SparseRows input_columns_;   // and by feature, for the weight gradient
};

}  // namespace jobctl::trainer
