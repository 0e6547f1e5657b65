#!/usr/bin/env bash
# A private CA and a broker certificate for Mosquitto's TLS listener, in deploy/mosquitto/certs/.
#   ./make-certs.sh HOSTNAME [MORE_NAMES...]     e.g. ./make-certs.sh mosquitto mqtt.example.org
# Clients trust certs/ca.pem (civicwatt: mqtt.tls.ca_file, or CIVICWATT_MQTT_CA_FILE in compose).
# Keep certs/ca.key offline; it signs every broker certificate you make with it.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 HOSTNAME [MORE_NAMES...]" >&2; exit 2; }
out="${CERTS_DIR:-$(dirname "$0")/certs}"
mkdir -p "$out"
cd "$out"
days="${CERT_DAYS:-825}"
if [ ! -f ca.key ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=civicwatt MQTT CA" -keyout ca.key -out ca.pem 2>/dev/null
fi
san="DNS:$1"
for name in "${@:2}"; do san="$san,DNS:$name"; done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
  -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=%s,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  "$san" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
  -extfile server.ext -out server.pem 2>/dev/null
rm -f server.csr server.ext
chmod 600 ca.key server.key
echo "wrote $out/ca.pem (give it to clients), server.pem and server.key (the broker's)"
