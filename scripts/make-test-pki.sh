#!/bin/sh
# Makes a throw-away PKI for the platform link, for tests and the TLS demo:
#   scripts/make-test-pki.sh DIR [STATION_CODE]
# DIR/ca.pem               the platform's CA (kioskd's platform.ca: the pin)
# DIR/server.pem, -key     the platform's certificate (127.0.0.1, localhost), signed by the CA
# DIR/station.pem, -key    the station's client certificate (CN = STATION_CODE), signed by the CA
# DIR/impostor.pem, -key   a certificate for the same names from another CA: what an
#                          interceptor would show; the station must refuse it
# Every key is P-256. Nothing here is for a real station.
set -eu
dir="$1"
station="${2:-340104001}"
mkdir -p "$dir"
cd "$dir"
days=3650
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # name subject
  key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -out "$1.pem" -days $days -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() {  # name subject ca extensions
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -out "$1.pem" -days $days -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

server_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

ca ca "/CN=Test Provincial Platform CA"
leaf server "/CN=localhost" ca "$server_ext"
leaf station "/CN=$station/O=Test Station" ca "$client_ext"
ca impostor-ca "/CN=Someone Else CA"
leaf impostor "/CN=localhost" impostor-ca "$server_ext"
rm -f ./*.srl impostor-ca-key.pem
chmod 600 ./*-key.pem
