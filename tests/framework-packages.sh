# Sourced by tests/run and notebooks/run: can the framework tier's packages be restored on this machine?
#   framework_restore LOG            restores the framework projects; returns non-zero if any package is missing
#   framework_missing_reason LOG     one line naming the missing packages and the NuGet sources tried
# The Course tests also restore TorchVision (notebook 13 loads it with #r; the tests build ResNet-18): probe them too.
FRAMEWORK_PROJECTS=(src/DeepLearning.Course src/DeepLearning.Notebooks tests/DeepLearning.Course.Tests)

framework_restore() {
  local log=$1 project ok=0
  : >"$log"
  for project in "${FRAMEWORK_PROJECTS[@]}"; do
    dotnet restore "$project" --nologo >>"$log" 2>&1 || ok=1
  done
  return "$ok"
}

framework_missing_reason() {
  local log=$1 missing sources
  missing=$(grep -oE "Unable to find package [^ ]+" "$log" | awk '{print $5}' | sed 's/\.$//' | sort -u | paste -sd, - | sed 's/,/, /g')
  sources=$(grep -oE "source\(s\): [^[]*" "$log" | head -1 | sed -E 's/.*source\(s\): //; s/[ .]+$//')
  if [ -n "$missing" ]; then
    echo "packages not available from NuGet source(s) ${sources:-configured here}: $missing"
  else
    echo "restore failed for another reason: $(grep -m1 -E 'error' "$log" | sed -E 's/^ *//') (full log: $log)"
  fi
}
