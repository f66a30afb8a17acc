#include "common/job_spec/job_spec.h"

namespace jobctl {

void to_json(nlohmann::json& j, const JobSpec& s) {
  j = nlohmann::json{{"name", s.name},
                     {"display_name", s.display_name},
                     {"experiment_name", s.experiment_name},
                     {"description", s.description},
                     {"tags", s.tags},
                     {"command", s.command},
                     {"code", s.code},
                     {"environment_variables", s.environment_variables},
                     {"compute", s.compute},
                     {"resources", s.resources},
                     {"distribution", s.distribution},
                     {"inputs", s.inputs},
                     {"outputs", s.outputs},
                     {"limits", s.limits},
                     {"retries", s.retries},
                     {"priority", s.priority}};
  if (s.environment) j["environment"] = *s.environment;
}

void from_json(const nlohmann::json& j, JobSpec& s) {
  JobSpec d;
  s.name = j.value("name", d.name);
  s.display_name = j.value("display_name", d.display_name);
  s.experiment_name = j.value("experiment_name", d.experiment_name);
  s.description = j.value("description", d.description);
  s.tags = j.value("tags", d.tags);
  s.command = j.value("command", d.command);
  s.code = j.value("code", d.code);
  s.environment_variables = j.value("environment_variables", d.environment_variables);
  s.compute = j.value("compute", d.compute);
  s.resources = j.value("resources", d.resources);
  s.distribution = j.value("distribution", d.distribution);
  s.inputs = j.value("inputs", d.inputs);
  s.outputs = j.value("outputs", d.outputs);
  s.limits = j.value("limits", d.limits);
  s.retries = j.value("retries", d.retries);
  s.priority = j.value("priority", d.priority);
  if (j.contains("environment") && !j["environment"].is_null()) {
    s.environment = j["environment"].get<JobEnvironment>();
  } else {
    s.environment.reset();
  }
}

}  // namespace jobctl
