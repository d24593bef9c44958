# Sourced by scripts/test.sh and scripts/demo.sh: installs what a fresh machine lacks.
# Node 20 and Java 17 + Maven are expected on the machine; npm packages come from the lock file.
need_node_major=20
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if (( node_major < need_node_major )); then
  echo "[deps] Node.js >= $need_node_major is required (found $(node -v 2>/dev/null || echo none))" >&2
  exit 1
fi
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  echo "[deps] installing Java 17 and Maven (Debian packages)"
  sudo_cmd=""; [[ $(id -u) != 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi
# Debian packages the tests use: prometheus (a real server scrapes the engine in a test) and
# chromium (headless, drives the status page through playwright-core at /usr/bin/chromium).
missing_debs=()
command -v prometheus >/dev/null || missing_debs+=(prometheus)
command -v chromium >/dev/null || missing_debs+=(chromium)
if (( ${#missing_debs[@]} > 0 )); then
  echo "[deps] apt-get install ${missing_debs[*]}"
  sudo_cmd=""; [[ $(id -u) != 0 ]] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
fi
lock_hash="$(sha1sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.turbine-lock-hash ]] || [[ "$(cat node_modules/.turbine-lock-hash)" != "$lock_hash" ]] \
  || [[ ! -f node_modules/node-rdkafka/build/Release/node-librdkafka.node ]]; then
  echo "[deps] npm ci (node-rdkafka compiles librdkafka: about 3 minutes on 2 cores)"
  npm ci --no-audit --no-fund --foreground-scripts=false
  echo "$lock_hash" > node_modules/.turbine-lock-hash
fi
# A later `npm install <pkg>` can re-extract and rebuild node-rdkafka without running this
# package's postinstall, which drops the delivery-report patch (NOTES.md): apply it again.
if ! grep -q '100000UL' node_modules/node-rdkafka/src/callbacks.cc 2>/dev/null; then
  node scripts/patch-node-rdkafka.js
fi
