#!/bin/sh
# Usage: hello.sh GREETING COUNT NAMES_FILE OUTPUT_DIR
# Greets every name in NAMES_FILE COUNT times and writes the greetings to
# OUTPUT_DIR/greetings.txt.
set -eu
if [ "$#" -ne 4 ]; then
  echo "usage: hello.sh GREETING COUNT NAMES_FILE OUTPUT_DIR" >&2
  exit 2
fi
greeting=$1
count=$2
names=$3
out=$4
mkdir -p "$out"
i=0
while [ "$i" -lt "$count" ]; do
  i=$((i + 1))
  while IFS= read -r name || [ -n "$name" ]; do
    if [ -n "$name" ]; then echo "$greeting, $name! ($i/$count)"; fi
  done < "$names"
done > "$out/greetings.txt"
cat "$out/greetings.txt"
echo "wrote $(wc -l < "$out/greetings.txt") lines to $out/greetings.txt"
