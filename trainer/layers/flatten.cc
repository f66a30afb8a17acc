#include "trainer/layers/flatten.h"

#include <algorithm>

namespace jobctl::trainer {

void Flatten::Forward(const Tensor& in, Tensor* out, bool /*training*/) {
  out->Resize(in.batch, features_);
  std::copy(in.data.begin(), in.data.begin() + static_cast<long>(in.size()), out->data.begin());
}

void Flatten::Backward(const Tensor& in, const Tensor& /*out*/, const Tensor& grad_out,
                       Tensor* grad_in) {
  if (grad_in == nullptr) return;
  grad_in->Resize(in.batch, features_);
  std::copy(grad_out.data.begin(), grad_out.data.begin() + static_cast<long>(grad_out.size()),
            grad_in->data.begin());
}

}  // namespace jobctl::trainer
