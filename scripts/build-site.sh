#!/usr/bin/env bash
# Builds the browser side into target/site, as `cargo leptos build` would: the WASM bundle
# and its JS glue (wasm-bindgen), the CSS (Tailwind), and the public assets.
#   scripts/build-site.sh [debug|release]
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-debug}
name=herald                       # LEPTOS_OUTPUT_NAME, also set in .cargo/config.toml
site=target/site
staging=target/site-staging
bin=node_modules/.bin

case "$profile" in
  release) cargo_profile=wasm-release; css_flags=--minify ;;
  debug) cargo_profile=dev; css_flags= ;;
  *) echo "usage: $0 [debug|release]" >&2; exit 2 ;;
esac

# A separate target dir: the app crate is built with `hydrate` here and `ssr` for the server,
# and sharing one dir would rebuild it back and forth.
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$cargo_profile" --target-dir target/front
out_dir=$([ "$cargo_profile" = dev ] && echo debug || echo "$cargo_profile")
wasm=target/front/wasm32-unknown-unknown/$out_dir/frontend.wasm

rm -rf "$staging"
mkdir -p "$staging/pkg"
cp -R public/. "$staging/"
wasm-bindgen --target web --no-typescript --out-dir "$staging/pkg" --out-name "$name" "$wasm"
mv "$staging/pkg/${name}_bg.wasm" "$staging/pkg/$name.wasm"
if [ "$profile" = release ]; then
  "$bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$staging/pkg/$name.wasm" -o "$staging/pkg/$name.opt.wasm"
  mv "$staging/pkg/$name.opt.wasm" "$staging/pkg/$name.wasm"
fi
"$bin/tailwindcss" --input style/tailwind.css --output "$staging/pkg/$name.css" $css_flags 2>/dev/null
# Served pre-compressed: the server picks the .gz when the browser accepts gzip. Release builds
# use Zopfli (same format, about 4 % smaller, a few seconds); debug builds stay quick.
if [ "$profile" = release ]; then
  node scripts/compress.mjs "$staging/pkg/$name.wasm" "$staging/pkg/$name.js" "$staging/pkg/$name.css"
else
  for file in "$staging/pkg/$name.wasm" "$staging/pkg/$name.js" "$staging/pkg/$name.css"; do
    gzip -9 -k -f "$file"
  done
fi

# Swap in one step, so a running server never serves a half-built site.
rm -rf "$site.old"
[ -d "$site" ] && mv "$site" "$site.old"
mv "$staging" "$site"
rm -rf "$site.old"
printf 'site built (%s): wasm %s KB, gzip %s KB\n' "$profile" \
  "$(( $(stat -c %s "$site/pkg/$name.wasm") / 1024 ))" "$(( $(stat -c %s "$site/pkg/$name.wasm.gz") / 1024 ))"
