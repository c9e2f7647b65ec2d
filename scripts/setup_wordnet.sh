#!/usr/bin/env bash
# Install WordNet 3.0 for NLTK without the internet (METEOR needs it).
#
# Debian's wordnet-base / wordnet-sense-index packages hold the database; NLTK wants it as plain files
# (copies: NLTK refuses symlinks and hard links) in <dir>/corpora/wordnet/, plus a `lexnames` file that Debian
# does not ship. lexnames is derived from the lexnames(5WN) man page when installed, else from the standard list.
# Idempotent: re-running only refreshes the copies.
#
# Usage: scripts/setup_wordnet.sh [DIR]      (default: <repo>/cache/nltk_data; apt-get needs root)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
nltk_dir="${1:-$repo_root/cache/nltk_data}"
source_dir=/usr/share/wordnet
target_dir="$nltk_dir/corpora/wordnet"
man_page=/usr/share/man/man5/lexnames.5WN.gz

if [ ! -f "$source_dir/data.noun" ] || [ ! -f "$source_dir/index.sense" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: WordNet is not installed and apt-get needs root; run as root:" >&2
        echo "  apt-get install -y --no-install-recommends wordnet-base wordnet-sense-index" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    packages="wordnet-base wordnet-sense-index"
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $packages \
        || { apt-get update -q && apt-get install -y -q --no-install-recommends $packages; }  # a new machine
fi

mkdir -p "$target_dir"
for file in "$source_dir"/data.* "$source_dir"/index.* "$source_dir"/*.exc "$source_dir/cntlist.rev"; do
    cp --remove-destination --dereference "$file" "$target_dir/"   # index.* includes index.sense
done

# lexnames: "<two-digit number>\t<lexicographer file>\t<syntactic category>", 45 lines (00 adj.all .. 44 adj.ppl).
standard_lexnames() {
    local names="adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body
        noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive
        noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process noun.quantity
        noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change verb.cognition
        verb.communication verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion
        verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
    local i=0
    for name in $names; do printf '%02d\t%s\n' "$i" "$name"; i=$((i + 1)); done
}
if [ -f "$man_page" ]; then
    lexnames="$(zcat "$man_page" | awk -F'\t' '/^[0-9][0-9]\t/ { gsub(/ /, "", $2); print $1 "\t" $2 }')"
else
    lexnames="$(standard_lexnames)"
fi
if [ "$lexnames" != "$(standard_lexnames)" ]; then
    echo "error: lexnames derived from $man_page differ from the standard WordNet 3.0 list" >&2
    exit 1
fi
# category: 1 noun, 2 verb, 3 adjective, 4 adverb (the third column NLTK expects)
echo "$lexnames" | awk -F'\t' 'BEGIN { c["noun"] = 1; c["verb"] = 2; c["adj"] = 3; c["adv"] = 4 }
    { split($2, part, "."); printf "%s\t%s\t%d\n", $1, $2, c[part[1]] }' > "$target_dir/lexnames"

lines="$(wc -l < "$target_dir/lexnames")"
[ "$lines" -eq 45 ] || { echo "error: $target_dir/lexnames has $lines lines, expected 45" >&2; exit 1; }

echo "WordNet installed for NLTK in $target_dir"
echo "export NLTK_DATA=$nltk_dir"
