/* Unit tests for the gateway.conf parser (proxy/config.c), as tables. */
#include "proxy/config.h"
#include "proxy/config_print.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/limits.h"

/* A byte string that may hold NULs: the literal and its length. */
#define B(s)	{ (s), sizeof(s) - 1 }

/* The four required keys, lines 1-4; rows append their line as line 5. */
#define BASE	"listen = 203.0.113.1:21\n" \
		"certificate = /etc/ftpsgw/gateway.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n" \
		"backend = 198.51.100.10\n"
#define BASE_NO_BACKEND	"listen = 203.0.113.1:21\n" \
		"certificate = /etc/ftpsgw/gateway.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n"

#define F	"gateway.conf"

/* The expected parts of messages, as the parser's table has them. */
#define X_LISTEN "expected ADDR:PORT or [IPV6]:PORT, numeric, port 1-65535"
#define X_PUBLIC "expected an IPv4 or IPv6 address without port, " \
		"e.g. 203.0.113.1"
#define X_PASSIVE "expected LOW-HIGH with 1024 <= LOW <= HIGH <= 65535"
#define X_BACKEND "expected HOST:PORT or HOST, HOST a DNS name or numeric " \
		"address (IPv6 in brackets), port 1-65535"
#define X_SECONDS "expected whole seconds from 1 to 86400"
#define X_KV	"expected key = value"
#define X_METRICS "so the Internet could read the metrics; expected a " \
		"loopback or LAN address (e.g. 127.0.0.1:9199, or the " \
		"router's LAN address), or set metrics_public = on to serve " \
		"them there anyway and let only your Prometheus server " \
		"through the firewall"

struct bytes {
	const char *p;
	size_t len;
};

/* Parse text with fresh defaults; the message goes to err. */
static int
parse(struct config *cfg, const char *text, size_t len, char *err,
    size_t cap)
{
	cfg_defaults(cfg);
	return cfg_parse(cfg, F, text, len, err, cap);
}

/* ---- rejections: the exact message is the UI ---- */

struct reject_row {
	struct bytes in;
	const char *err;
};

/* SHA-256 fingerprints: 64 hex digits, and malformed neighbours. */
#define FP64 "00112233445566778899AABBCCDDEEFF" \
	"00112233445566778899aabbccddeeff"
#define FP64_COLONS "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:" \
	"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
#define FP63 "00112233445566778899AABBCCDDEEFF" \
	"00112233445566778899aabbccddeef"
#define FP64_BAD "00112233445566778899AABBCCDDEEFF" \
	"00112233445566778899aabbccddeegf"
/* Values are quoted up to 48 bytes, then "...". */
#define FP_QUOTED "sha256:00112233445566778899AABBCCDDEEFF001122334..."
#define FP_EXPECT "is not a SHA-256 fingerprint; expected sha256: and 64 " \
	"hex digits, colons allowed (ftpsgw-certs show prints it)"
#define NAME_EXPECT "is not a DNS name; expected the name in the FTP " \
	"server's certificate, e.g. ftp.lan.example"

/* banner: at most 200 bytes; longer values are quoted up to 48. */
#define BANNER_EXPECT "text of at most 200 bytes for the 220 greeting, " \
	"e.g. banner = Example Corp. FTP"
#define BANNER_50 "0123456789012345678901234567890123456789abcdefghij"
#define BANNER_200 BANNER_50 BANNER_50 BANNER_50 BANNER_50
#define BANNER_201 BANNER_200 "!"
#define BANNER_QUOTED "0123456789012345678901234567890123456789abcdefgh..."

static const struct reject_row reject_rows[] = {
	/* line syntax */
	{ B("listen 203.0.113.1:21\n"),
	  F ":1: listen: no '=' in line; " X_KV },
	{ B("# comment\n\n   \t\nlisten\n"),
	  F ":4: listen: no '=' in line; " X_KV },
	{ B("  listen\n"), F ":1: listen: no '=' in line; " X_KV },
	{ B("\tlisten_implicit 203.0.113.1:990 # x\n"),
	  F ":1: listen_implicit: no '=' in line; " X_KV },
	{ B("= 203.0.113.1:21\n"),
	  F ":1: '=' without a key; " X_KV },
	{ B("  =\n"), F ":1: '=' without a key; " X_KV },
	{ B("[site2]\n"),
	  F ":1: [site2]: unknown section; expected [backend NAME]" },
	{ B("  [backend] # the NAS\n"),
	  F ":1: [backend]: unknown section; expected [backend NAME]" },
	{ B("[x] = 1\n"),
	  F ":1: [x] = 1: section header without ']'; expected "
	  "[backend NAME]" },
	/* empty values, comments eating the value */
	{ B("backend =\n"),
	  F ":1: backend: value is empty; " X_BACKEND },
	{ B("backend = \t \n"),
	  F ":1: backend: value is empty; " X_BACKEND },
	{ B("backend = # the NAS\n"),
	  F ":1: backend: value is empty; " X_BACKEND },
	{ B("certificate=\n"),
	  F ":1: certificate: value is empty; "
	  "expected a file path of at most 511 bytes" },
	{ B("log_level =\r\n"),
	  F ":1: log_level: value is empty; "
	  "expected err, warning, notice, info or debug" },
	/* a '#' glued to the '=' is not a comment */
	{ B("backend =#x\n"),
	  F ":1: backend: '#x' is not a host and port; " X_BACKEND },
	/* unknown keys, with and without a suggestion */
	{ B("lisen = 203.0.113.1:21\n"),
	  F ":1: lisen: unknown key (did you mean listen?)" },
	{ B("lsiten = 203.0.113.1:21\n"),
	  F ":1: lsiten: unknown key (did you mean listen?)" },
	{ B("Listen = 203.0.113.1:21\n"),
	  F ":1: Listen: unknown key (did you mean listen?)" },
	{ B("listen_implict = 203.0.113.1:990\n"),
	  F ":1: listen_implict: unknown key (did you mean listen_implicit?)" },
	{ B("passive-ports = 61000-61999\n"),
	  F ":1: passive-ports: unknown key (did you mean passive_ports?)" },
	{ B("backends = nas\n"),
	  F ":1: backends: unknown key (did you mean backend?)" },
	{ B("conntrak = on\n"),
	  F ":1: conntrak: unknown key (did you mean conntrack?)" },
	{ B("require_session_use = on\n"),
	  F ":1: require_session_use: unknown key "
	  "(did you mean require_session_reuse?)" },
	{ B("log = debug\n"), F ":1: log: 'debug' is a log level; expected "
	  "stderr or syslog here, and log_level = debug for the level" },
	{ B("lgo = syslog\n"),
	  F ":1: lgo: unknown key (did you mean log?)" },
	{ B("frobnicate = 1\n"), F ":1: frobnicate: unknown key" },
	{ B("back end = nas\n"),
	  F ":1: back end: unknown key (did you mean backend?)" },
	{ B("it's = 1\n"), F ":1: it\\'s: unknown key" },
	{ B("k\xc3\xa9y = 1\n"), F ":1: k\\xc3\\xa9y: unknown key" },
	{ B("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaa = 1\n"),
	  F ":1: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...: "
	  "unknown key" },
	/* repeated keys name both lines */
	{ B("backend = a\nbackend = b\n"),
	  F ":2: backend: already set on line 1; expected each key once "
	  "(only listen and listen_implicit repeat)" },
	{ B("log_level = info\n# x\nlog_level = bogus\n"),
	  F ":3: log_level: already set on line 1; expected each key once "
	  "(only listen and listen_implicit repeat)" },
	{ B("listen = 203.0.113.1:21\nlisten_implicit = 203.0.113.1:21\n"),
	  F ":2: listen_implicit: '203.0.113.1:21' is already used on line 1; "
	  "expected each address and port once" },
	{ B("listen = [2001:db8::1]:21\nlisten = [2001:db8:0::1]:21\n"),
	  F ":2: listen: '[2001:db8:0::1]:21' is already used on line 1; "
	  "expected each address and port once" },
	/* control characters and NUL bytes */
	{ B("backend = a\x01" "b\n"),
	  F ":1: backend: control character '\\x01' in line; "
	  "expected printable text" },
	{ B("backend = a\rb\n"),
	  F ":1: backend: control character '\\x0d' in line; "
	  "expected printable text" },
	{ B("log_level = info\rdata_path = relay\r"),
	  F ":1: log_level: control character '\\x0d' in line; "
	  "expected printable text" },
	{ B("backend = nas\x7f\n"),
	  F ":1: backend: control character '\\x7f' in line; "
	  "expected printable text" },
	{ B("\x1b[31m = 1\n"),
	  F ":1: control character '\\x1b' in line; expected printable text" },
	{ B("backend = a\0b\n"),
	  F ":1: backend: NUL byte in line; expected a text file" },
	{ B("# a comment\0\n"),
	  F ":1: NUL byte in line; expected a text file" },
	{ B("\0"), F ":1: NUL byte in line; expected a text file" },
	{ B("log_level = info\n\n\0\n"),
	  F ":3: NUL byte in line; expected a text file" },
	/* listen and listen_implicit */
	{ B("listen = 203.0.113.1\n"),
	  F ":1: listen: '203.0.113.1' is not an address and port; " X_LISTEN },
	{ B("listen = 203.0.113.1:0\n"),
	  F ":1: listen: '203.0.113.1:0' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1:65536\n"),
	  F ":1: listen: '203.0.113.1:65536' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1:021\n"),
	  F ":1: listen: '203.0.113.1:021' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1:+21\n"),
	  F ":1: listen: '203.0.113.1:+21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1:-1\n"),
	  F ":1: listen: '203.0.113.1:-1' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1: 21\n"),
	  F ":1: listen: '203.0.113.1: 21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1:21x\n"),
	  F ":1: listen: '203.0.113.1:21x' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.1:99999999999999999999\n"),
	  F ":1: listen: '203.0.113.1:99999999999999999999' is not an address "
	  "and port; " X_LISTEN },
	{ B("listen = 203.0.113:21\n"),
	  F ":1: listen: '203.0.113:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 256.0.113.1:21\n"),
	  F ":1: listen: '256.0.113.1:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = 203.0.113.01:21\n"),
	  F ":1: listen: '203.0.113.01:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = ftp.example.org:21\n"),
	  F ":1: listen: 'ftp.example.org:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = :21\n"),
	  F ":1: listen: ':21' is not an address and port; " X_LISTEN },
	{ B("listen = 2001:db8::1:21\n"),
	  F ":1: listen: '2001:db8::1:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = [2001:db8::1]\n"),
	  F ":1: listen: '[2001:db8::1]' is not an address and port; "
	  X_LISTEN },
	{ B("listen = [2001:db8::1]21\n"),
	  F ":1: listen: '[2001:db8::1]21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = [2001:db8::1:21\n"),
	  F ":1: listen: '[2001:db8::1:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = []:21\n"),
	  F ":1: listen: '[]:21' is not an address and port; " X_LISTEN },
	{ B("listen = [203.0.113.1]:21\n"),
	  F ":1: listen: '[203.0.113.1]:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen = [fe80::1%eth0]:21\n"),
	  F ":1: listen: '[fe80::1%eth0]:21' is not an address and port; "
	  X_LISTEN },
	{ B("listen_implicit = 203.0.113.1\n"),
	  F ":1: listen_implicit: '203.0.113.1' is not an address and port; "
	  X_LISTEN },
	{ B("listen_implicit = [2001:db8::1]:\n"),
	  F ":1: listen_implicit: '[2001:db8::1]:' is not an address and "
	  "port; " X_LISTEN },
	/* public_address */
	{ B("public_address = 203.0.113.1:21\n"),
	  F ":1: public_address: '203.0.113.1:21' is not a numeric address; "
	  X_PUBLIC },
	{ B("public_address = gw.example.org\n"),
	  F ":1: public_address: 'gw.example.org' is not a numeric address; "
	  X_PUBLIC },
	{ B("public_address = 203.0.113.256\n"),
	  F ":1: public_address: '203.0.113.256' is not a numeric address; "
	  X_PUBLIC },
	{ B("public_address = [203.0.113.1]\n"),
	  F ":1: public_address: '[203.0.113.1]' is not a numeric address; "
	  X_PUBLIC },
	{ B("public_address = [2001:db8::1]:21\n"),
	  F ":1: public_address: '[2001:db8::1]:21' is not a numeric "
	  "address; " X_PUBLIC },
	{ B("public_address = [2001:db8::1\n"),
	  F ":1: public_address: '[2001:db8::1' is not a numeric address; "
	  X_PUBLIC },
	{ B("public_address = 0.0.0.0\n"),
	  F ":1: public_address: '0.0.0.0' cannot be announced to clients; "
	  "expected the router's public address, e.g. 203.0.113.1" },
	{ B("public_address = [::]\n"),
	  F ":1: public_address: '[::]' cannot be announced to clients; "
	  "expected the router's public address, e.g. 203.0.113.1" },
	{ B("\xef\xbb\xbf\xef\xbb\xbflisten = 203.0.113.1:21\n"),
	  F ":1: \\xef\\xbb\\xbflisten: unknown key" },
	{ B("\xef\xbb\n"), F ":1: \\xef\\xbb: no '=' in line; " X_KV },
	{ B("public_address = []\n"),
	  F ":1: public_address: '[]' is not a numeric address; " X_PUBLIC },
	/* passive_ports */
	{ B("passive_ports = 70000-80000\n"),
	  F ":1: passive_ports: '70000-80000' is not a port range; "
	  X_PASSIVE },
	{ B("passive_ports = 1023-2000\n"),
	  F ":1: passive_ports: '1023-2000' is not a port range; " X_PASSIVE },
	{ B("passive_ports = 2000-1999\n"),
	  F ":1: passive_ports: '2000-1999' is not a port range; " X_PASSIVE },
	{ B("passive_ports = 61000-65536\n"),
	  F ":1: passive_ports: '61000-65536' is not a port range; "
	  X_PASSIVE },
	{ B("passive_ports = 61000\n"),
	  F ":1: passive_ports: '61000' is not a port range; " X_PASSIVE },
	{ B("passive_ports = 61000-\n"),
	  F ":1: passive_ports: '61000-' is not a port range; " X_PASSIVE },
	{ B("passive_ports = -61999\n"),
	  F ":1: passive_ports: '-61999' is not a port range; " X_PASSIVE },
	{ B("passive_ports = 61000-61999-62000\n"),
	  F ":1: passive_ports: '61000-61999-62000' is not a port range; "
	  X_PASSIVE },
	{ B("passive_ports = 61000:61999\n"),
	  F ":1: passive_ports: '61000:61999' is not a port range; "
	  X_PASSIVE },
	{ B("passive_ports = 0x1000-2000\n"),
	  F ":1: passive_ports: '0x1000-2000' is not a port range; "
	  X_PASSIVE },
	{ B("passive_ports = +61000-61999\n"),
	  F ":1: passive_ports: '+61000-61999' is not a port range; "
	  X_PASSIVE },
	{ B("passive_ports = 4294967297-61999\n"),
	  F ":1: passive_ports: '4294967297-61999' is not a port range; "
	  X_PASSIVE },
	/* backend */
	{ B("backend = 2001:db8::10:21\n"),
	  F ":1: backend: '2001:db8::10:21' is not a host and port; "
	  X_BACKEND },
	{ B("backend = 2001:db8::10\n"),
	  F ":1: backend: '2001:db8::10' is not a host and port; " X_BACKEND },
	{ B("backend = [2001:db8::10\n"),
	  F ":1: backend: '[2001:db8::10' is not a host and port; "
	  X_BACKEND },
	{ B("backend = [2001:db8::10]21\n"),
	  F ":1: backend: '[2001:db8::10]21' is not a host and port; "
	  X_BACKEND },
	{ B("backend = [2001:db8::10]:\n"),
	  F ":1: backend: '[2001:db8::10]:' is not a host and port; "
	  X_BACKEND },
	{ B("backend = [nas.lan]:21\n"),
	  F ":1: backend: '[nas.lan]:21' is not a host and port; " X_BACKEND },
	{ B("backend = [198.51.100.10]\n"),
	  F ":1: backend: '[198.51.100.10]' is not a host and port; "
	  X_BACKEND },
	{ B("backend = nas.lan:0\n"),
	  F ":1: backend: 'nas.lan:0' is not a host and port; " X_BACKEND },
	{ B("backend = nas.lan:70000\n"),
	  F ":1: backend: 'nas.lan:70000' is not a host and port; "
	  X_BACKEND },
	{ B("backend = nas.lan:\n"),
	  F ":1: backend: 'nas.lan:' is not a host and port; " X_BACKEND },
	{ B("backend = nas.lan:ftp\n"),
	  F ":1: backend: 'nas.lan:ftp' is not a host and port; " X_BACKEND },
	{ B("backend = :21\n"),
	  F ":1: backend: ':21' is not a host and port; " X_BACKEND },
	{ B("backend = -nas.lan\n"),
	  F ":1: backend: '-nas.lan' is not a host and port; " X_BACKEND },
	{ B("backend = nas-.lan\n"),
	  F ":1: backend: 'nas-.lan' is not a host and port; " X_BACKEND },
	{ B("backend = nas.lan-\n"),
	  F ":1: backend: 'nas.lan-' is not a host and port; " X_BACKEND },
	{ B("backend = nas..lan\n"),
	  F ":1: backend: 'nas..lan' is not a host and port; " X_BACKEND },
	{ B("backend = .nas\n"),
	  F ":1: backend: '.nas' is not a host and port; " X_BACKEND },
	{ B("backend = .\n"),
	  F ":1: backend: '.' is not a host and port; " X_BACKEND },
	{ B("backend = nas lan\n"),
	  F ":1: backend: 'nas lan' is not a host and port; " X_BACKEND },
	{ B("backend = nas/lan\n"),
	  F ":1: backend: 'nas/lan' is not a host and port; " X_BACKEND },
	{ B("backend = 198.51.100.300\n"),
	  F ":1: backend: '198.51.100.300' is not a host and port; "
	  X_BACKEND },
	{ B("backend = 198.51.100.10.\n"),
	  F ":1: backend: '198.51.100.10.' is not a host and port; "
	  X_BACKEND },
	{ B("backend = 198.51.100.10:21:21\n"),
	  F ":1: backend: '198.51.100.10:21:21' is not a host and port; "
	  X_BACKEND },
	{ B("backend = ftp://nas.lan\n"),
	  F ":1: backend: 'ftp://nas.lan' is not a host and port; "
	  X_BACKEND },
	{ B("backend = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaa.lan\n"),
	  F ":1: backend: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "...' is not a host and port; " X_BACKEND },
	{ B("backend = n\\as\n"),
	  F ":1: backend: 'n\\\\as' is not a host and port; " X_BACKEND },
	/* words */
	{ B("backend_tls = Explicit\n"),
	  F ":1: backend_tls: 'Explicit' is not a backend TLS mode; "
	  "expected explicit, implicit or off" },
	{ B("backend_tls = tls\n"),
	  F ":1: backend_tls: 'tls' is not a backend TLS mode; "
	  "expected explicit, implicit or off" },
	{ B("backend_verify = yes\n"),
	  F ":1: backend_verify: 'yes' is not a switch; expected on or off" },
	{ B("backend_verify = true\n"),
	  F ":1: backend_verify: 'true' is not a switch; expected on or off" },
	{ B("backend_verify = ON\n"),
	  F ":1: backend_verify: 'ON' is not a switch; expected on or off" },
	{ B("backend_verify = 1\n"),
	  F ":1: backend_verify: '1' is not a switch; expected on or off" },
	{ B("backend_verify = o\n"),
	  F ":1: backend_verify: 'o' is not a switch; expected on or off" },
	{ B("backend_verify = onn\n"),
	  F ":1: backend_verify: 'onn' is not a switch; expected on or off" },
	{ B("client_tls = require\n"),
	  F ":1: client_tls: 'require' is not a client TLS policy; "
	  "expected required or optional" },
	{ B("require_session_reuse = no\n"),
	  F ":1: require_session_reuse: 'no' is not a switch; "
	  "expected on or off" },
	{ B("active_mode = yes\n"),
	  F ":1: active_mode: 'yes' is not a switch; expected on or off" },
	{ B("allow_ccc = 1\n"),
	  F ":1: allow_ccc: '1' is not a switch; expected on or off" },
	{ B("backend_fingerprint = 00112233\n"),
	  F ":1: backend_fingerprint: '00112233' " FP_EXPECT },
	{ B("backend_fingerprint = sha1:00\n"),
	  F ":1: backend_fingerprint: 'sha1:00' " FP_EXPECT },
	{ B("backend_fingerprint = sha256:" FP63 "\n"),
	  F ":1: backend_fingerprint: '" FP_QUOTED "' " FP_EXPECT },
	{ B("backend_fingerprint = sha256:" FP64 "00\n"),
	  F ":1: backend_fingerprint: '" FP_QUOTED "' " FP_EXPECT },
	{ B("backend_fingerprint = sha256:" FP64_BAD "\n"),
	  F ":1: backend_fingerprint: '" FP_QUOTED "' " FP_EXPECT },
	{ B("backend_fingerprint = sha256::00\n"),
	  F ":1: backend_fingerprint: 'sha256::00' " FP_EXPECT },
	{ B("backend_fingerprint = sha256:00:\n"),
	  F ":1: backend_fingerprint: 'sha256:00:' " FP_EXPECT },
	{ B("user = -x\n"),
	  F ":1: user: '-x' is not a user name; expected an account name: "
	  "letters, digits, '_', '-', at most 32" },
	{ B("user = ftp gw\n"),
	  F ":1: user: 'ftp gw' is not a user name; expected an account name: "
	  "letters, digits, '_', '-', at most 32" },
	{ B("user = abcdefghijklmnopqrstuvwxyz0123456\n"),
	  F ":1: user: 'abcdefghijklmnopqrstuvwxyz0123456' is not a user name; "
	  "expected an account name: letters, digits, '_', '-', at most 32" },
	{ B("chroot = var/empty\n"),
	  F ":1: chroot: 'var/empty' is not a path; expected a file path of at "
	  "most 511 bytes" },
	{ B("transfer_log = xferlog\n"),
	  F ":1: transfer_log: 'xferlog' is not an absolute path; expected an "
	  "absolute file path of at most 511 bytes, e.g. "
	  "/var/log/ftpsgw/xferlog" },
	{ B("transfer_log = ./var/log/xferlog\n"),
	  F ":1: transfer_log: './var/log/xferlog' is not an absolute path; "
	  "expected an absolute file path of at most 511 bytes, e.g. "
	  "/var/log/ftpsgw/xferlog" },
	{ B("health_check = yes\n"),
	  F ":1: health_check: 'yes' is not a switch; expected on or off" },
	{ B("health_interval = 0\n"),
	  F ":1: health_interval: '0' is not an interval; expected whole "
	  "seconds from 1 to 3600" },
	{ B("health_interval = 3601\n"),
	  F ":1: health_interval: '3601' is not an interval; expected whole "
	  "seconds from 1 to 3600" },
	{ B("health_rise = 0\n"),
	  F ":1: health_rise: '0' is not a count; expected a whole number "
	  "from 1 to 100" },
	{ B("health_fall = 101\n"),
	  F ":1: health_fall: '101' is not a count; expected a whole number "
	  "from 1 to 100" },
	{ B("log = journal\n"),
	  F ":1: log: 'journal' is not a log destination; expected stderr or "
	  "syslog" },
	{ B("log = Syslog\n"),
	  F ":1: log: 'Syslog' is not a log destination; expected stderr or "
	  "syslog" },
	{ B("log = syslog\nlog = stderr\n"),
	  F ":2: log: already set on line 1; expected each key once (only "
	  "listen and listen_implicit repeat)" },
	{ B("transfer_log =\n"),
	  F ":1: transfer_log: value is empty; expected an absolute file path "
	  "of at most 511 bytes, e.g. /var/log/ftpsgw/xferlog" },
	{ B("max_sessions = 0\n"),
	  F ":1: max_sessions: '0' is not a session count; expected a whole "
	  "number from 1 to 1000000" },
	{ B("max_sessions_per_ip = 1000001\n"),
	  F ":1: max_sessions_per_ip: '1000001' is not a session count; "
	  "expected a whole number from 1 to 1000000" },
	{ B("max_login_failures = 1001\n"),
	  F ":1: max_login_failures: '1001' is not a count; expected a whole "
	  "number from 0 (no limit) to 1000" },
	{ B("ban_time = 0\n"),
	  F ":1: ban_time: '0' is not a timeout; expected whole seconds from 1 "
	  "to 86400" },
	{ B("banner =\n"),
	  F ":1: banner: value is empty; expected " BANNER_EXPECT },
	{ B("banner = " BANNER_201 "\n"),
	  F ":1: banner: '" BANNER_QUOTED "' is not a banner; expected "
	  BANNER_EXPECT },
	{ B("banner = one\nbanner = two\n"),
	  F ":2: banner: already set on line 1; expected each key once "
	  "(only listen and listen_implicit repeat)" },
	{ B("banner = hello\x01world\n"),
	  F ":1: banner: control character '\\x01' in line; expected "
	  "printable text" },
	{ B("banner = hello\rworld\n"),
	  F ":1: banner: control character '\\x0d' in line; expected "
	  "printable text" },
	{ B("ban_prefix4 = 15\n"),
	  F ":1: ban_prefix4: '15' is not an IPv4 prefix length; expected a "
	  "whole number from 16 to 32 (32: the address alone)" },
	{ B("\nban_prefix4 = 33\n"),
	  F ":2: ban_prefix4: '33' is not an IPv4 prefix length; expected a "
	  "whole number from 16 to 32 (32: the address alone)" },
	{ B("ban_prefix4 = /24\n"),
	  F ":1: ban_prefix4: '/24' is not an IPv4 prefix length; expected a "
	  "whole number from 16 to 32 (32: the address alone)" },
	{ B("ban_prefix6 = 31\n"),
	  F ":1: ban_prefix6: '31' is not an IPv6 prefix length; expected a "
	  "whole number from 32 to 128 (64: one subnet, 128: the address "
	  "alone)" },
	{ B("ban_prefix6 = 129\n"),
	  F ":1: ban_prefix6: '129' is not an IPv6 prefix length; expected a "
	  "whole number from 32 to 128 (64: one subnet, 128: the address "
	  "alone)" },
	{ B("ban_prefix6 = 064\n"),
	  F ":1: ban_prefix6: '064' is not an IPv6 prefix length; expected a "
	  "whole number from 32 to 128 (64: one subnet, 128: the address "
	  "alone)" },
	{ B("ban_prefix6 =\n"),
	  F ":1: ban_prefix6: value is empty; expected a whole number from 32 "
	  "to 128 (64: one subnet, 128: the address alone)" },
	{ B("ban_prefix6 = 64\nban_prefix6 = 56\n"),
	  F ":2: ban_prefix6: already set on line 1; expected each key once "
	  "(only listen and listen_implicit repeat)" },
	{ B("handshake_timeout = 86401\n"),
	  F ":1: handshake_timeout: '86401' is not a timeout; expected whole "
	  "seconds from 1 to 86400" },
	{ B("workers = 0\n"),
	  F ":1: workers: '0' is not a worker count; expected auto (one per "
	  "CPU core) or a whole number from 1 to 64" },
	{ B("workers = 65\n"),
	  F ":1: workers: '65' is not a worker count; expected auto (one per "
	  "CPU core) or a whole number from 1 to 64" },
	{ B("workers = automatic\n"),
	  F ":1: workers: 'automatic' is not a worker count; expected auto "
	  "(one per CPU core) or a whole number from 1 to 64" },
	{ B("shutdown_timeout = -1\n"),
	  F ":1: shutdown_timeout: '-1' is not a timeout; expected whole "
	  "seconds from 1 to 86400" },
	{ B("backend_name = -bad.lan\n"),
	  F ":1: backend_name: '-bad.lan' " NAME_EXPECT },
	{ B("backend_name = a b\n"),
	  F ":1: backend_name: 'a b' " NAME_EXPECT },
	{ B("conntrack = maybe\n"),
	  F ":1: conntrack: 'maybe' is not a conntrack mode; "
	  "expected on, off or auto" },
	{ B("backend_source = server\n"),
	  F ":1: backend_source: 'server' is not a source address policy; "
	  "expected gateway or client" },
	{ B("backend_proxy_protocol = v1\n"),
	  F ":1: backend_proxy_protocol: 'v1' is not a PROXY protocol "
	  "version; expected off or v2" },
	{ B(BASE "data_path = kernel\nbackend_source = client\n"),
	  F ":6: backend_source: client cannot be combined with data_path "
	  "= kernel (line 5); use data_path = relay, or backend_source = "
	  "gateway" },
	{ B("data_path = splice\n"),
	  F ":1: data_path: 'splice' is not a data path; "
	  "expected relay or kernel" },
	{ B("log_level = warn\n"),
	  F ":1: log_level: 'warn' is not a log level; "
	  "expected err, warning, notice, info or debug" },
	{ B("log_level = DEBUG\n"),
	  F ":1: log_level: 'DEBUG' is not a log level; "
	  "expected err, warning, notice, info or debug" },
	/* seconds */
	{ B("connect_timeout = 0\n"),
	  F ":1: connect_timeout: '0' is not a timeout; " X_SECONDS },
	{ B("connect_timeout = 86401\n"),
	  F ":1: connect_timeout: '86401' is not a timeout; " X_SECONDS },
	{ B("idle_timeout = -1\n"),
	  F ":1: idle_timeout: '-1' is not a timeout; " X_SECONDS },
	{ B("idle_timeout = 10s\n"),
	  F ":1: idle_timeout: '10s' is not a timeout; " X_SECONDS },
	{ B("idle_timeout = 1e3\n"),
	  F ":1: idle_timeout: '1e3' is not a timeout; " X_SECONDS },
	{ B("data_timeout = 010\n"),
	  F ":1: data_timeout: '010' is not a timeout; " X_SECONDS },
	{ B("data_timeout = 4294967296\n"),
	  F ":1: data_timeout: '4294967296' is not a timeout; " X_SECONDS },
	{ B("data_timeout = 18446744073709551617\n"),
	  F ":1: data_timeout: '18446744073709551617' is not a timeout; "
	  X_SECONDS },
	{ B("data_timeout = 6 0\n"),
	  F ":1: data_timeout: '6 0' is not a timeout; " X_SECONDS },
	/* missing required keys, checked after the last line */
	{ B(""),
	  F ": listen: required key is missing (e.g. listen = 203.0.113.1:21, "
	  "or listen_implicit = 203.0.113.1:990)" },
	{ B("# only comments\n\n"),
	  F ": listen: required key is missing (e.g. listen = 203.0.113.1:21, "
	  "or listen_implicit = 203.0.113.1:990)" },
	{ B("listen_implicit = 203.0.113.1:990\n"),
	  F ": certificate: required key is missing "
	  "(e.g. certificate = /etc/ftpsgw/gateway.pem)" },
	{ B("listen = 203.0.113.1:21\ncertificate = /c.pem\n"),
	  F ": private_key: required key is missing "
	  "(e.g. private_key = /etc/ftpsgw/gateway.key)" },
	{ B(BASE_NO_BACKEND),
	  F ": backend: required key is missing "
	  "(e.g. backend = 198.51.100.10:21)" },
	/* an error after good lines names its own line */
	{ B(BASE "passive_ports = 70000-80000\n"),
	  F ":5: passive_ports: '70000-80000' is not a port range; "
	  X_PASSIVE },
	{ B(BASE "\r\n# x\r\nbackend = nas.lan\r\n"),
	  F ":7: backend: already set on line 4; expected each key once "
	  "(only listen and listen_implicit repeat)" },
	/* metrics_listen: never where the Internet reaches (line 5) */
	{ B(BASE "metrics_listen = 203.0.113.1:9199\n"),
	  F ":5: metrics_listen: is the address FTP clients connect to "
	  "(listen on line 1), " X_METRICS },
	{ B(BASE "metrics_listen = 0.0.0.0:9199\n"),
	  F ":5: metrics_listen: listens on every address of the router, "
	  "the public ones included, " X_METRICS },
	{ B(BASE "metrics_listen = [::]:9199\n"),
	  F ":5: metrics_listen: listens on every address of the router, "
	  "the public ones included, " X_METRICS },
	{ B(BASE "metrics_listen = 8.8.8.8:9199\n"),
	  F ":5: metrics_listen: is a globally routable address, " X_METRICS },
	{ B(BASE "metrics_listen = [2a00:1450::1]:9199\n"),
	  F ":5: metrics_listen: is a globally routable address, " X_METRICS },
	{ B(BASE "metrics_listen = [ff02::1]:9199\n"),
	  F ":5: metrics_listen: is a globally routable address, " X_METRICS },
	{ B(BASE "metrics_listen = [::ffff:203.0.113.1]:9199\n"),
	  F ":5: metrics_listen: is the address FTP clients connect to "
	  "(listen on line 1), " X_METRICS },
	{ B(BASE "metrics_listen = [::ffff:8.8.8.8]:9199\n"),
	  F ":5: metrics_listen: is a globally routable address, " X_METRICS },
	{ B(BASE "metrics_public = off\nmetrics_listen = 203.0.113.1:9199\n"),
	  F ":6: metrics_listen: is the address FTP clients connect to "
	  "(listen on line 1), " X_METRICS },
	{ B("metrics_listen = 198.51.100.1:9199\n" BASE
	    "listen_implicit = 198.51.100.1:990\n"),
	  F ":1: metrics_listen: is the address FTP clients connect to "
	  "(listen_implicit on line 6), " X_METRICS },
	{ B(BASE "public_address = 192.0.2.7\n"
	    "metrics_listen = 192.0.2.7:9199\n"),
	  F ":6: metrics_listen: is public_address (line 5), the address "
	  "clients are sent to, " X_METRICS },
	{ B(BASE "metrics_listen = 127.0.0.1\n"),
	  F ":5: metrics_listen: '127.0.0.1' is not an address and port; "
	  X_LISTEN " (a loopback or LAN address, e.g. 127.0.0.1:9199)" },
	{ B(BASE "metrics_listen = 127.0.0.1:0\n"),
	  F ":5: metrics_listen: '127.0.0.1:0' is not an address and port; "
	  X_LISTEN " (a loopback or LAN address, e.g. 127.0.0.1:9199)" },
	{ B(BASE "metrics_listen = 127.0.0.1:9199\n"
	    "metrics_listen = 127.0.0.1:9200\n"),
	  F ":6: metrics_listen: already set on line 5; expected each key "
	  "once (only listen and listen_implicit repeat)" },
	{ B(BASE "metrics_public = yes\n"),
	  F ":5: metrics_public: 'yes' is not a switch; expected on or off" },
};

static void
test_reject(void **state)
{
	char err[512];
	struct config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reject_rows) / sizeof(reject_rows[0]); i++) {
		const struct reject_row *r = &reject_rows[i];
		int rc;

		memset(err, 'Z', sizeof(err));
		rc = parse(&cfg, r->in.p, r->in.len, err, sizeof(err));
		if (rc != -1 || strcmp(err, r->err) != 0)
			print_error("row %zu: rc %d\n got  \"%s\"\n"
			    " want \"%s\"\n", i, rc, rc == 0 ? "" : err,
			    r->err);
		assert_int_equal(rc, -1);
		assert_string_equal(err, r->err);
	}
}

/* ---- acceptances: each row checks what it set ---- */

static void
want_v4(const struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), port);
	assert_memory_equal(&sin->sin_addr, &a, sizeof(a));
}

static void
want_v6(const struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, addr, &a), 1);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(sin6->sin6_port), port);
	assert_memory_equal(&sin6->sin6_addr, &a, sizeof(a));
}

static void
check_base(const struct config *c)
{
	struct config d;

	cfg_defaults(&d);
	assert_int_equal(c->n_listen, 1);
	want_v4(&c->listen[0].addr, "203.0.113.1", 21);
	assert_int_equal(c->listen[0].addrlen, sizeof(struct sockaddr_in));
	assert_false(c->listen[0].implicit);
	assert_int_equal(c->listen[0].line, 1);
	assert_string_equal(c->certificate, "/etc/ftpsgw/gateway.pem");
	assert_string_equal(c->private_key, "/etc/ftpsgw/gateway.key");
	assert_string_equal(c->backends[0].host, "198.51.100.10");
	assert_int_equal(c->backends[0].port, 21);
	/* everything else keeps its default */
	assert_false(c->have_public_address);
	assert_int_equal(c->passive_low, 61000);
	assert_int_equal(c->passive_high, 61999);
	assert_int_equal(c->backends[0].tls, CFG_BACKEND_EXPLICIT);
	assert_string_equal(c->backends[0].ca, "");
	assert_true(c->backends[0].verify);
	assert_int_equal(c->client_tls, CFG_CLIENT_REQUIRED);
	assert_true(c->require_session_reuse);
	assert_true(c->active_mode);		/* defaults */
	assert_false(c->allow_ccc);
	assert_int_equal(c->conntrack, CFG_CT_AUTO);
	assert_int_equal(c->data_path, CFG_DATA_RELAY);
	assert_int_equal(c->connect_timeout, 10);
	assert_int_equal(c->idle_timeout, 600);
	assert_int_equal(c->data_timeout, 60);
	assert_int_equal(c->log_level, CFG_LOG_INFO);
	assert_int_equal(c->connect_timeout, d.connect_timeout);
}

static void
check_listen_v6(const struct config *c)
{
	assert_int_equal(c->n_listen, 2);
	want_v6(&c->listen[1].addr, "2001:db8::1", 21);
	assert_int_equal(c->listen[1].addrlen, sizeof(struct sockaddr_in6));
	assert_false(c->listen[1].implicit);
	assert_int_equal(c->listen[1].line, 5);
}

static void
check_listen_order(const struct config *c)
{
	assert_int_equal(c->n_listen, 4);
	want_v4(&c->listen[1].addr, "203.0.113.1", 990);
	assert_true(c->listen[1].implicit);
	assert_int_equal(c->listen[1].line, 5);
	want_v6(&c->listen[2].addr, "2001:db8::1", 990);
	assert_true(c->listen[2].implicit);
	want_v4(&c->listen[3].addr, "0.0.0.0", 2121);
	assert_false(c->listen[3].implicit);
	assert_int_equal(c->listen[3].line, 8);
}

static void
check_implicit_only(const struct config *c)
{
	assert_int_equal(c->n_listen, 1);
	want_v6(&c->listen[0].addr, "::", 990);
	assert_true(c->listen[0].implicit);
}

static void
check_port_21(const struct config *c)
{
	assert_int_equal(c->backends[0].port, 21);
}

static void
check_port_990(const struct config *c)
{
	assert_int_equal(c->backends[0].tls, CFG_BACKEND_IMPLICIT);
	assert_int_equal(c->backends[0].port, 990);
}

static void
check_port_2121(const struct config *c)
{
	assert_int_equal(c->backends[0].port, 2121);
}

static void
check_backend_nas(const struct config *c)
{
	assert_string_equal(c->backends[0].host, "nas.lan");
	assert_int_equal(c->backends[0].port, 21);
}

static void
check_backend_v6(const struct config *c)
{
	assert_string_equal(c->backends[0].host, "2001:db8::10");
	assert_int_equal(c->backends[0].port, 21);
}

static void
check_backend_v6_port(const struct config *c)
{
	assert_string_equal(c->backends[0].host, "2001:db8::10");
	assert_int_equal(c->backends[0].port, 2121);
}

static void
check_backend_dot(const struct config *c)
{
	assert_string_equal(c->backends[0].host, "nas.example.org.");
	assert_int_equal(c->backends[0].port, 21);
}

static void
check_backend_underscore(const struct config *c)
{
	assert_string_equal(c->backends[0].host, "nas_1.lan");
	assert_int_equal(c->backends[0].port, 65535);
}

static void
check_backend_v4_port(const struct config *c)
{
	assert_string_equal(c->backends[0].host, "198.51.100.10");
	assert_int_equal(c->backends[0].port, 2121);
}

static void
check_backend_tls_off(const struct config *c)
{
	assert_int_equal(c->backends[0].tls, CFG_BACKEND_OFF);
	assert_int_equal(c->backends[0].port, 21);
}

static void
check_public_v4(const struct config *c)
{
	assert_true(c->have_public_address);
	want_v4(&c->public_address, "203.0.113.1", 0);
}

static void
check_public_v6(const struct config *c)
{
	assert_true(c->have_public_address);
	want_v6(&c->public_address, "2001:db8:1::1", 0);
}

static void
check_passive_full(const struct config *c)
{
	assert_int_equal(c->passive_low, 1024);
	assert_int_equal(c->passive_high, 65535);
}

static void
check_passive_spaced(const struct config *c)
{
	assert_int_equal(c->passive_low, 61000);
	assert_int_equal(c->passive_high, 61010);
}

static void
check_passive_one(const struct config *c)
{
	assert_int_equal(c->passive_low, 5000);
	assert_int_equal(c->passive_high, 5000);
}

static void
check_paths(const struct config *c)
{
	assert_string_equal(c->backends[0].ca, "/etc/ftpsgw/lan ca#2.pem");
}

static void
check_switches_off(const struct config *c)
{
	assert_false(c->backends[0].verify);
	assert_false(c->require_session_reuse);
	assert_false(c->active_mode);
	assert_false(c->allow_ccc);
	assert_int_equal(c->client_tls, CFG_CLIENT_OPTIONAL);
	assert_int_equal(c->conntrack, CFG_CT_OFF);
	assert_int_equal(c->data_path, CFG_DATA_KERNEL);
	assert_int_equal(c->log_level, CFG_LOG_ERR);
}

static void
check_source_client(const struct config *c)
{
	assert_int_equal(c->backends[0].source, CFG_SOURCE_CLIENT);
	assert_int_equal(c->backends[0].proxy_protocol, CFG_PROXY_V2);
	assert_int_equal(c->data_path, CFG_DATA_RELAY);
}

static void
check_switches_on(const struct config *c)
{
	assert_true(c->backends[0].verify);
	assert_true(c->require_session_reuse);
	assert_true(c->active_mode);
	assert_true(c->allow_ccc);
	assert_int_equal(c->client_tls, CFG_CLIENT_REQUIRED);
	assert_int_equal(c->conntrack, CFG_CT_ON);
	assert_int_equal(c->data_path, CFG_DATA_RELAY);
	assert_int_equal(c->log_level, CFG_LOG_DEBUG);
	assert_int_equal(c->backends[0].tls, CFG_BACKEND_EXPLICIT);
}

static void
check_pin_and_name(const struct config *c)
{
	static const unsigned char want[32] = {
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
	};

	assert_true(c->backends[0].have_fingerprint);
	assert_memory_equal(c->backends[0].fingerprint, want, sizeof(want));
	assert_string_equal(c->backends[0].name, "ftp.lan.example");
}

static void
check_limits(const struct config *c)
{
	assert_string_equal(c->user, "ftpsgw");
	assert_string_equal(c->chroot, "/var/empty");
	assert_int_equal(c->max_sessions, 1000000);
	assert_int_equal(c->max_sessions_per_ip, 1);
	assert_int_equal(c->max_login_failures, 0);
	assert_int_equal(c->ban_time, 86400);
	assert_int_equal(c->ban_prefix4, 16);
	assert_int_equal(c->ban_prefix6, 128);
	assert_int_equal(c->handshake_timeout, 1);
	assert_int_equal(c->shutdown_timeout, 5);
	assert_int_equal(c->workers, 64);
}

static void
check_limit_defaults(const struct config *c)
{
	assert_string_equal(c->user, "");
	assert_string_equal(c->chroot, "");
	assert_int_equal(c->max_sessions, 2000);
	assert_int_equal(c->max_sessions_per_ip, 50);
	assert_int_equal(c->max_login_failures, 5);
	assert_int_equal(c->ban_time, 600);
	assert_int_equal(c->ban_prefix4, 32);
	assert_int_equal(c->ban_prefix6, 64);
	assert_int_equal(c->handshake_timeout, 10);
	assert_int_equal(c->shutdown_timeout, 30);
	assert_int_equal(c->workers, 0);	/* auto */
}

static void
check_prefix_edges(const struct config *c)
{
	assert_int_equal(c->ban_prefix4, 32);
	assert_int_equal(c->ban_prefix6, 32);
}

static void
check_banner_text(const struct config *c)
{
	assert_string_equal(c->banner, "Example Corp. FTP");
}

static void
check_banner_200(const struct config *c)
{
	assert_string_equal(c->banner, BANNER_200);
}

static void
check_banner_x(const struct config *c)
{
	assert_string_equal(c->banner, "x");
}

/* UTF-8 is kept; a '#' glued to text is text. */
static void
check_banner_utf8(const struct config *c)
{
	assert_string_equal(c->banner, "caf\xc3\xa9 No#1 [ftp]");
}

static void
check_prefix_mid(const struct config *c)
{
	assert_int_equal(c->ban_prefix4, 24);
	assert_int_equal(c->ban_prefix6, 56);
}

static void
check_no_pin(const struct config *c)
{
	assert_false(c->backends[0].have_fingerprint);
	assert_string_equal(c->backends[0].name, "2001:db8::10");
}

static void
check_conntrack_auto(const struct config *c)
{
	assert_int_equal(c->conntrack, CFG_CT_AUTO);
	assert_int_equal(c->log_level, CFG_LOG_WARNING);
}

static void
check_logging(const struct config *c)
{
	assert_string_equal(c->transfer_log, "/var/log/ftpsgw/xfer log#1");
	assert_int_equal(c->log_sink, CFG_SINK_SYSLOG);
}

static void
check_health(const struct config *c)
{
	assert_true(c->health_check);
	assert_int_equal(c->health_interval, 1);
	assert_int_equal(c->health_rise, 5);
	assert_int_equal(c->health_fall, 1);
}

static void
check_health_defaults(const struct config *c)
{
	assert_false(c->health_check);
	assert_int_equal(c->health_interval, 10);
	assert_int_equal(c->health_rise, 2);
	assert_int_equal(c->health_fall, 3);
}

static void
check_logging_defaults(const struct config *c)
{
	assert_string_equal(c->transfer_log, "");
	assert_int_equal(c->log_sink, CFG_SINK_STDERR);
}

static void
check_log_stderr(const struct config *c)
{
	assert_int_equal(c->log_sink, CFG_SINK_STDERR);
}

static void
check_log_notice(const struct config *c)
{
	assert_int_equal(c->log_level, CFG_LOG_NOTICE);
}

static void
check_log_info(const struct config *c)
{
	assert_int_equal(c->log_level, CFG_LOG_INFO);
}

static void
check_timeouts_min(const struct config *c)
{
	assert_int_equal(c->connect_timeout, 1);
	assert_int_equal(c->idle_timeout, 86400);
	assert_int_equal(c->data_timeout, 30);
}

static void
check_metrics_off(const struct config *c)
{
	assert_false(c->have_metrics_listen);
	assert_false(c->metrics_public);
}

static void
check_metrics_off_public(const struct config *c)
{
	assert_false(c->have_metrics_listen);
	assert_true(c->metrics_public);
}

static void
check_metrics_lo(const struct config *c)
{
	assert_true(c->have_metrics_listen);
	want_v4(&c->metrics_listen, "127.0.0.1", 9199);
	assert_int_equal(c->metrics_listen_len, sizeof(struct sockaddr_in));
	assert_int_equal(c->metrics_line, 5);
	assert_false(c->metrics_public);
}

static void
check_metrics_lan(const struct config *c)
{
	want_v4(&c->metrics_listen, "198.51.100.1", 9199);
	assert_false(c->metrics_public);
}

static void
check_metrics_doc(const struct config *c)
{
	want_v4(&c->metrics_listen, "192.0.2.1", 9199);
}

static void
check_metrics_any(const struct config *c)
{
	assert_true(c->have_metrics_listen);
	assert_int_equal(c->metrics_line, 5);
	assert_false(c->metrics_public);
}

static void
check_metrics_v6(const struct config *c)
{
	assert_true(c->have_metrics_listen);
	assert_int_equal(c->metrics_listen.ss_family, AF_INET6);
	assert_int_equal(c->metrics_listen_len, sizeof(struct sockaddr_in6));
}

static void
check_metrics_public(const struct config *c)
{
	want_v4(&c->metrics_listen, "203.0.113.1", 9199);
	assert_true(c->metrics_public);
}

static void
check_metrics_any_public(const struct config *c)
{
	assert_true(c->have_metrics_listen);
	assert_true(c->metrics_public);
}

struct accept_row {
	struct bytes in;
	void (*check)(const struct config *);
};

static const struct accept_row accept_rows[] = {
	{ B(BASE), check_base },
	/* syntax variants of the same file */
	{ B("listen=203.0.113.1:21\ncertificate=/etc/ftpsgw/gateway.pem\n"
	    "private_key=/etc/ftpsgw/gateway.key\nbackend=198.51.100.10"),
	  check_base },
	{ B("  listen\t=\t203.0.113.1:21  \r\n"
	    "certificate = /etc/ftpsgw/gateway.pem\t# the chain\r\n"
	    "\r\n"
	    "# private_key = /nope\r\n"
	    "   # indented comment\r\n"
	    "private_key = /etc/ftpsgw/gateway.key #\r\n"
	    "backend = 198.51.100.10\r\n"),
	  check_base },
	{ B(BASE "# \x01 control bytes and \xff in a comment are fine\n"
	    "#listen = [2001:db8::1]:21\n"), check_base },
	{ B(BASE "\n\n\n"), check_base },
	{ B("\xef\xbb\xbf" BASE), check_base },
	{ B(BASE "#"), check_base },
	/* listen */
	{ B(BASE "listen = [2001:db8::1]:21\n"), check_listen_v6 },
	{ B(BASE "listen_implicit = 203.0.113.1:990\n"
	    "listen_implicit = [2001:db8::1]:990\n# x\n"
	    "listen = 0.0.0.0:2121\n"), check_listen_order },
	{ B("listen_implicit = [::]:990\ncertificate = c\nprivate_key = k\n"
	    "backend = nas.lan\n"), check_implicit_only },
	/* backend port default: 21, or 990 with implicit, whatever the order */
	{ B(BASE), check_port_21 },
	{ B(BASE "backend_tls = explicit\n"), check_port_21 },
	{ B(BASE "backend_tls = implicit\n"), check_port_990 },
	{ B("backend_tls = implicit\n" BASE), check_port_990 },
	{ B(BASE_NO_BACKEND "backend_tls = implicit\n"
	    "backend = 198.51.100.10:2121\n"), check_port_2121 },
	{ B(BASE_NO_BACKEND "backend_tls = implicit\n"
	    "backend = 198.51.100.10:21\n"), check_port_21 },
	{ B(BASE "backend_tls = off\n"), check_backend_tls_off },
	/* backend forms */
	{ B(BASE_NO_BACKEND "backend = nas.lan\n"), check_backend_nas },
	{ B(BASE_NO_BACKEND "backend = nas.lan:21\n"), check_backend_nas },
	{ B(BASE_NO_BACKEND "backend = [2001:db8::10]\n"), check_backend_v6 },
	{ B(BASE_NO_BACKEND "backend = [2001:db8::10]:2121\n"),
	  check_backend_v6_port },
	{ B(BASE_NO_BACKEND "backend = nas.example.org.\n"),
	  check_backend_dot },
	{ B(BASE_NO_BACKEND "backend = nas_1.lan:65535\n"),
	  check_backend_underscore },
	{ B(BASE_NO_BACKEND "backend = 198.51.100.10:2121\n"),
	  check_backend_v4_port },
	/* public_address with and without brackets */
	{ B(BASE "public_address = 203.0.113.1\n"), check_public_v4 },
	{ B(BASE "public_address = 2001:db8:1::1\n"), check_public_v6 },
	{ B(BASE "public_address = [2001:db8:1::1]\n"), check_public_v6 },
	/* passive_ports */
	{ B(BASE "passive_ports = 1024-65535\n"), check_passive_full },
	{ B(BASE "passive_ports = 61000 - 61010\n"), check_passive_spaced },
	{ B(BASE "passive_ports=5000-5000\n"), check_passive_one },
	/* paths keep inner spaces and a '#' glued to text */
	{ B(BASE "backend_ca = /etc/ftpsgw/lan ca#2.pem   # LAN CA\n"),
	  check_paths },
	/* words */
	{ B(BASE "backend_verify = off\nrequire_session_reuse = off\n"
	    "client_tls = optional\nconntrack = off\ndata_path = kernel\n"
	    "log_level = err\nactive_mode = off\nallow_ccc = off\n"),
	  check_switches_off },
	{ B(BASE "backend_verify = on\nrequire_session_reuse = on\n"
	    "client_tls = required\nconntrack = on\ndata_path = relay\n"
	    "log_level = debug\nbackend_tls = explicit\nactive_mode = on\n"
	    "allow_ccc = on\n"), check_switches_on },
	{ B(BASE "backend_fingerprint = sha256:" FP64 "\n"
	    "backend_name = ftp.lan.example\n"), check_pin_and_name },
	{ B(BASE "backend_fingerprint = sha256:" FP64_COLONS "\n"
	    "backend_name = ftp.lan.example\n"), check_pin_and_name },
	{ B(BASE "backend_name = 2001:db8::10\n"), check_no_pin },
	{ B(BASE "backend_source = client\nbackend_proxy_protocol = v2\n"),
	  check_source_client },
	{ B(BASE "user = ftpsgw\nchroot = /var/empty\n"
	    "max_sessions = 1000000\nmax_sessions_per_ip = 1\n"
	    "max_login_failures = 0\nban_time = 86400\n"
	    "ban_prefix4 = 16\nban_prefix6 = 128\n"
	    "handshake_timeout = 1\nshutdown_timeout = 5\nworkers = 64\n"),
	  check_limits },
	{ B(BASE "ban_prefix4 = 32\nban_prefix6 = 32\n"), check_prefix_edges },
	{ B(BASE "banner = Example Corp. FTP   # shown to clients\n"),
	  check_banner_text },
	{ B(BASE "banner = " BANNER_200 "\n"), check_banner_200 },
	{ B(BASE "banner=x\n"), check_banner_x },
	{ B(BASE "banner = caf\xc3\xa9 No#1 [ftp] #not shown\n"),
	  check_banner_utf8 },
	{ B(BASE "ban_prefix6=56\nban_prefix4=24 # a /24\n"),
	  check_prefix_mid },
	{ B(BASE), check_limit_defaults },
	{ B(BASE "conntrack = auto\nlog_level = warning\n"),
	  check_conntrack_auto },
	{ B(BASE "log_level = notice\n"), check_log_notice },
	{ B(BASE "transfer_log = /var/log/ftpsgw/xfer log#1 # comment\n"
	    "log = syslog\n"), check_logging },
	{ B(BASE), check_logging_defaults },
	{ B(BASE "health_check = on\nhealth_interval = 1 # fast\n"
	    "health_rise=5\nhealth_fall = 1\n"), check_health },
	{ B(BASE), check_health_defaults },
	{ B(BASE "log=stderr\n"), check_log_stderr },
	{ B(BASE "log_level = info \t\n"), check_log_info },
	/* seconds at the bounds */
	{ B(BASE "connect_timeout = 1\nidle_timeout = 86400\n"
	    "data_timeout = 30\n"), check_timeouts_min },
	/* metrics_listen: loopback and LAN addresses */
	{ B(BASE), check_metrics_off },
	{ B(BASE "metrics_public = on\n"), check_metrics_off_public },
	{ B(BASE "metrics_listen = 127.0.0.1:9199\n"), check_metrics_lo },
	{ B(BASE "metrics_listen = 198.51.100.1:9199 # the LAN\n"),
	  check_metrics_lan },
	{ B(BASE "metrics_listen = 192.0.2.1:9199\n"), check_metrics_doc },
	{ B(BASE "metrics_listen = 10.1.2.3:9199\n"), check_metrics_any },
	{ B(BASE "metrics_listen = 172.16.0.1:9199\n"), check_metrics_any },
	{ B(BASE "metrics_listen = 192.168.1.1:9199\n"), check_metrics_any },
	{ B(BASE "metrics_listen = 100.64.0.1:9199\n"), check_metrics_any },
	{ B(BASE "metrics_listen = 169.254.1.1:9199\n"), check_metrics_any },
	{ B(BASE "metrics_listen = [::1]:9199\n"), check_metrics_v6 },
	{ B(BASE "metrics_listen = [fd00::1]:9199\n"), check_metrics_v6 },
	{ B(BASE "metrics_listen = [fe80::1]:9199\n"), check_metrics_v6 },
	{ B(BASE "metrics_listen = [2001:db8:2::1]:9199\n"),
	  check_metrics_v6 },
	/* the FTP port's address with another port is still refused (the
	 * reject rows); the public side only with metrics_public = on */
	{ B(BASE "metrics_listen = 203.0.113.1:9199\nmetrics_public = on\n"),
	  check_metrics_public },
	{ B(BASE "metrics_public = on\nmetrics_listen = 0.0.0.0:9199\n"),
	  check_metrics_any_public },
	{ B(BASE "metrics_listen = 8.8.8.8:9199\nmetrics_public = on\n"),
	  check_metrics_any_public },
};

static void
test_accept(void **state)
{
	char err[512];
	struct config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(accept_rows) / sizeof(accept_rows[0]); i++) {
		const struct accept_row *r = &accept_rows[i];
		int rc;

		rc = parse(&cfg, r->in.p, r->in.len, err, sizeof(err));
		if (rc != 0)
			print_error("row %zu: \"%s\"\n", i, err);
		assert_int_equal(rc, 0);
		assert_string_equal(err, "");
		r->check(&cfg);
	}
}

/* ---- cfg_parse_sockaddr on its own ---- */

struct sockaddr_row {
	struct bytes in;
	int family;		/* 0: rejected */
	const char *addr;
	uint16_t port;
};

static const struct sockaddr_row sockaddr_rows[] = {
	{ B("203.0.113.1:21"), AF_INET, "203.0.113.1", 21 },
	{ B("0.0.0.0:1"), AF_INET, "0.0.0.0", 1 },
	{ B("255.255.255.255:65535"), AF_INET, "255.255.255.255", 65535 },
	{ B("[2001:db8::1]:990"), AF_INET6, "2001:db8::1", 990 },
	{ B("[::]:21"), AF_INET6, "::", 21 },
	{ B("[::ffff:203.0.113.1]:21"), AF_INET6, "::ffff:203.0.113.1", 21 },
	{ B(""), 0, NULL, 0 },
	{ B(":"), 0, NULL, 0 },
	{ B("[]"), 0, NULL, 0 },
	{ B("["), 0, NULL, 0 },
	{ B("[]:"), 0, NULL, 0 },
	{ B("]:21"), 0, NULL, 0 },
	{ B("203.0.113.1:21\0:22"), 0, NULL, 0 },
	{ B("203.0.113.1\0:21"), 0, NULL, 0 },
	{ B("[2001:db8::1\0]:21"), 0, NULL, 0 },
	{ B(" 203.0.113.1:21"), 0, NULL, 0 },
	{ B("203.0.113.1:21 "), 0, NULL, 0 },
	{ B("203.0.113.1:00021"), 0, NULL, 0 },
	{ B("203.0.113.1:65535"), AF_INET, "203.0.113.1", 65535 },
	{ B("[2001:db8:0:0:0:0:0:0:1]:21"), 0, NULL, 0 },
	{ B("[0000:0000:0000:0000:0000:ffff:203.000.113.001]:21"), 0, NULL,
	  0 },
};

static void
test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sockaddr_rows) / sizeof(sockaddr_rows[0]);
	    i++) {
		const struct sockaddr_row *r = &sockaddr_rows[i];
		int rc;

		len = 99;
		rc = cfg_parse_sockaddr(r->in.p, r->in.len, &ss, &len);
		if ((rc == 0) != (r->family != 0))
			print_error("row %zu: rc %d\n", i, rc);
		if (r->family == 0) {
			assert_int_equal(rc, -1);
			assert_int_equal(len, 0);
			assert_int_equal(ss.ss_family, AF_UNSPEC);
		} else if (r->family == AF_INET) {
			assert_int_equal(rc, 0);
			assert_int_equal(len, sizeof(struct sockaddr_in));
			want_v4(&ss, r->addr, r->port);
		} else {
			assert_int_equal(rc, 0);
			assert_int_equal(len, sizeof(struct sockaddr_in6));
			want_v6(&ss, r->addr, r->port);
		}
	}
}

/* ---- built inputs: limits ---- */

/* BASE then one line "PREFIX" + fill bytes of c up to total bytes + end. */
static size_t
build_line(char *buf, size_t cap, const char *prefix, char c, size_t total,
    const char *end)
{
	size_t n = strlen(BASE), pl = strlen(prefix);

	assert_true(n + total + strlen(end) < cap);
	memcpy(buf, BASE, n);
	memcpy(buf + n, prefix, pl);
	memset(buf + n + pl, c, total - pl);
	n += total;
	memcpy(buf + n, end, strlen(end));
	return n + strlen(end);
}

static int parse_backend(struct config *, size_t, size_t, const char *);

static void
test_long_lines(void **state)
{
	static char buf[4 * CFG_LINE_MAX];
	char err[512];
	struct config cfg;
	size_t n;

	(void)state;
	/* a comment of exactly CFG_LINE_MAX bytes, with LF, CRLF or none */
	n = build_line(buf, sizeof(buf), "# ", 'x', CFG_LINE_MAX, "\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), 0);
	n = build_line(buf, sizeof(buf), "# ", 'x', CFG_LINE_MAX, "\r\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), 0);
	n = build_line(buf, sizeof(buf), "# ", 'x', CFG_LINE_MAX, "");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), 0);

	/* one byte more: the line, not only settings, is limited */
	n = build_line(buf, sizeof(buf), "# ", 'x', CFG_LINE_MAX + 1, "\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), -1);
	assert_string_equal(err, F ":5: line is 1025 bytes long; "
	    "expected at most 1024 bytes per line");
	n = build_line(buf, sizeof(buf), "# ", 'x', CFG_LINE_MAX + 1, "\r\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), -1);
	assert_string_equal(err, F ":5: line is 1025 bytes long; "
	    "expected at most 1024 bytes per line");
	n = build_line(buf, sizeof(buf), "backend_ca = /", 'a',
	    3 * CFG_LINE_MAX, "");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), -1);
	assert_string_equal(err, F ":5: backend_ca: line is 3072 bytes long; "
	    "expected at most 1024 bytes per line");

	/* paths: 511 bytes fit, 512 do not */
	n = build_line(buf, sizeof(buf), "backend_ca = /", 'a',
	    strlen("backend_ca = ") + CFG_PATH_MAX - 1, "\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), 0);
	assert_int_equal(strlen(cfg.backends[0].ca), CFG_PATH_MAX - 1);
	assert_int_equal(cfg.backends[0].ca[0], '/');
	n = build_line(buf, sizeof(buf), "backend_ca = /", 'a',
	    strlen("backend_ca = ") + CFG_PATH_MAX, "\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), -1);
	assert_string_equal(err, F ":5: backend_ca: "
	    "'/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' is 512 "
	    "bytes long; expected a path of at most 511 bytes");
	n = build_line(buf, sizeof(buf), "certificate = /", 'c',
	    CFG_LINE_MAX, "\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), -1);
	assert_string_equal(err, F ":5: certificate: already set on line 2; "
	    "expected each key once (only listen and listen_implicit repeat)");

	/* backend names: 253 bytes (and a trailing dot) fit, labels of 63 */
	assert_int_equal(parse_backend(&cfg, 253, 63, ""), 0);
	assert_int_equal(strlen(cfg.backends[0].host), 253);
	assert_int_equal(parse_backend(&cfg, 253, 63, "."), 0);
	assert_int_equal(strlen(cfg.backends[0].host), 254);
	assert_int_equal(parse_backend(&cfg, 254, 63, ""), -1);
	assert_int_equal(parse_backend(&cfg, 254, 63, "."), -1);
	assert_int_equal(parse_backend(&cfg, 64, 63, ""), 0);
	assert_int_equal(parse_backend(&cfg, 64, 64, ""), -1);
}

/*
 * BASE without backend, then "backend = NAME" + tail, NAME being total
 * bytes of labels of label bytes each ('a'), separated by dots.
 */
static int
parse_backend(struct config *cfg, size_t total, size_t label,
    const char *tail)
{
	char buf[1024], err[512];
	size_t n, i, run = 0;

	n = (size_t)snprintf(buf, sizeof(buf), "%sbackend = ",
	    BASE_NO_BACKEND);
	for (i = 0; i < total; i++) {
		if (run == label) {
			buf[n++] = '.';
			run = 0;
		} else {
			buf[n++] = 'a';
			run++;
		}
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\n", tail);
	return parse(cfg, buf, n, err, sizeof(err));
}

static void
test_max_listeners(void **state)
{
	char buf[2048], err[512];
	struct config cfg;
	size_t n = 0;
	unsigned i;

	(void)state;
	n += (size_t)sprintf(buf, "certificate = c\nprivate_key = k\n"
	    "backend = nas\n");
	for (i = 0; i < CFG_LISTEN_MAX; i++)
		n += (size_t)sprintf(buf + n, "%s = 203.0.113.1:%u\n",
		    i % 2 ? "listen_implicit" : "listen", 2000 + i);
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_listen, CFG_LISTEN_MAX);
	for (i = 0; i < CFG_LISTEN_MAX; i++) {
		want_v4(&cfg.listen[i].addr, "203.0.113.1",
		    (uint16_t)(2000 + i));
		assert_int_equal(cfg.listen[i].implicit, i % 2 == 1);
		assert_int_equal(cfg.listen[i].line, 4 + i);
	}

	n += (size_t)sprintf(buf + n, "listen = [2001:db8::1]:21\n");
	assert_int_equal(parse(&cfg, buf, n, err, sizeof(err)), -1);
	assert_string_equal(err, F ":20: listen: more than 16 listeners; "
	    "expected at most 16 listen and listen_implicit lines in total");
}

/* ---- the message buffer ---- */

static void
test_error_buffer(void **state)
{
	static const char bad[] = "passive_ports = 70000-80000\n";
	char err[128];
	struct config cfg;

	(void)state;
	/* truncated, still NUL-terminated, never written past errcap */
	memset(err, 'Z', sizeof(err));
	assert_int_equal(parse(&cfg, bad, strlen(bad), err, 20), -1);
	assert_string_equal(err, "gateway.conf:1: pas");
	assert_int_equal(err[20], 'Z');
	/* no buffer at all */
	assert_int_equal(parse(&cfg, bad, strlen(bad), NULL, 0), -1);
	memset(err, 'Z', sizeof(err));
	assert_int_equal(parse(&cfg, bad, strlen(bad), err, 0), -1);
	assert_int_equal(err[0], 'Z');
	/* the file name is the caller's, as given */
	cfg_defaults(&cfg);
	assert_int_equal(cfg_parse(&cfg, "/etc/gw.conf", "x", 1, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "/etc/gw.conf:1: x: no '=' in line; "
	    "expected key = value");
	/* text need not be NUL-terminated: len is the end */
	{
		char buf[sizeof(BASE) + 8];

		memcpy(buf, BASE "backend", sizeof(BASE) + 7);
		assert_int_equal(cfg_parse(&cfg, F, buf, sizeof(BASE) - 1,
		    NULL, 0), 0);
	}
}

/* ---- the annotated example at the repository root ---- */

static size_t
read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		fail_msg("%s: cannot open (run the tests from the repository "
		    "root)", path);
	n = fread(buf, 1, cap, f);
	assert_true(n < cap);
	fclose(f);
	return n;
}

static const char *const all_keys[] = {
	"listen", "listen_implicit", "certificate", "private_key",
	"public_address", "passive_ports", "backend", "backend_tls",
	"backend_ca", "backend_verify", "client_tls", "require_session_reuse",
	"conntrack", "data_path", "connect_timeout", "idle_timeout",
	"data_timeout", "log_level", "metrics_listen", "metrics_public",
	"transfer_log", "log", "pool", "route", "balance", "default_pool",
	"user_map",
};

/* Does the text have a line "KEY = " or "#KEY = " (a commented setting)? */
static bool
has_key_line(const char *text, const char *key)
{
	char pat[64];

	snprintf(pat, sizeof(pat), "\n%s = ", key);
	if (strstr(text, pat) != NULL)
		return true;
	snprintf(pat, sizeof(pat), "\n#%s = ", key);
	return strstr(text, pat) != NULL;
}

static void
test_example(void **state)
{
	static char text[64 * 1024], on[64 * 1024];
	char err[512];
	struct config cfg, d;
	size_t n, i, j;

	(void)state;
	n = read_file("gateway.conf", text, sizeof(text) - 1);
	text[n] = '\0';
	if (parse(&cfg, text, n, err, sizeof(err)) != 0)
		fail_msg("gateway.conf: %s", err);
	assert_int_equal(cfg.n_listen, 1);
	want_v4(&cfg.listen[0].addr, "203.0.113.1", 21);
	assert_string_equal(cfg.certificate, "/etc/ftpsgw/gateway.pem");
	assert_string_equal(cfg.backends[0].host, "198.51.100.10");
	assert_int_equal(cfg.backends[0].port, 21);

	/* every key is documented, as a setting or a commented setting */
	for (i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++)
		if (!has_key_line(text, all_keys[i]))
			fail_msg("gateway.conf lacks a line '%s = ' or "
			    "'#%s = '", all_keys[i], all_keys[i]);

	/*
	 * Commented settings ("#key = value", no space after '#') are
	 * examples the administrator may switch on: all of them together
	 * must parse, and those that show a default must show the real one.
	 */
	for (i = j = 0; i < n; i++) {
		if (text[i] == '#' && (i == 0 || text[i - 1] == '\n') &&
		    i + 1 < n && text[i + 1] >= 'a' && text[i + 1] <= 'z')
			continue;
		on[j++] = text[i];
	}
	if (parse(&cfg, on, j, err, sizeof(err)) != 0)
		fail_msg("gateway.conf with examples on: %s", err);
	cfg_defaults(&d);
	assert_int_equal(cfg.passive_low, d.passive_low);
	assert_int_equal(cfg.passive_high, d.passive_high);
	assert_int_equal(cfg.backends[0].tls, d.backends[0].tls);
	assert_int_equal(cfg.backends[0].verify, d.backends[0].verify);
	assert_int_equal(cfg.client_tls, d.client_tls);
	assert_int_equal(cfg.require_session_reuse, d.require_session_reuse);
	assert_int_equal(cfg.conntrack, d.conntrack);
	assert_int_equal(cfg.data_path, d.data_path);
	assert_int_equal(cfg.connect_timeout, d.connect_timeout);
	assert_int_equal(cfg.idle_timeout, d.idle_timeout);
	assert_int_equal(cfg.data_timeout, d.data_timeout);
	assert_int_equal(cfg.log_level, d.log_level);
	assert_int_equal(cfg.log_sink, d.log_sink);
	assert_string_equal(cfg.banner, d.banner);
	assert_int_equal(cfg.backends[0].port, 21);
	assert_true(cfg.have_public_address);
	assert_int_equal(cfg.n_listen, 3);
	want_v6(&cfg.listen[1].addr, "2001:db8:1::1", 21);
	want_v4(&cfg.listen[2].addr, "203.0.113.1", 990);
	assert_true(cfg.listen[2].implicit);
}

static void
test_defaults(void **state)
{
	struct config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof(cfg));
	cfg_defaults(&cfg);
	assert_int_equal(cfg.n_listen, 0);
	assert_string_equal(cfg.certificate, "");
	assert_string_equal(cfg.private_key, "");
	assert_string_equal(cfg.backends[0].host, "");
	assert_string_equal(cfg.backends[0].ca, "");
	assert_false(cfg.have_public_address);
	assert_int_equal(cfg.passive_low, 61000);
	assert_int_equal(cfg.passive_high, 61999);
	assert_int_equal(cfg.backends[0].port, 21);
	assert_int_equal(cfg.backends[0].tls, CFG_BACKEND_EXPLICIT);
	assert_true(cfg.backends[0].verify);
	assert_int_equal(cfg.client_tls, CFG_CLIENT_REQUIRED);
	assert_true(cfg.require_session_reuse);
	assert_int_equal(cfg.conntrack, CFG_CT_AUTO);
	assert_int_equal(cfg.data_path, CFG_DATA_RELAY);
	assert_int_equal(cfg.connect_timeout, 10);
	assert_int_equal(cfg.idle_timeout, 600);
	assert_int_equal(cfg.data_timeout, 60);
	assert_int_equal(cfg.log_level, CFG_LOG_INFO);
	assert_string_equal(cfg.banner, "ftpsgw ready.");
	assert_string_equal(cfg.transfer_log, "");
	assert_int_equal(cfg.log_sink, CFG_SINK_STDERR);
}

/* ---- [backend NAME] sections, pools and routes (issue 17) ---- */

#define BASE_GLOBAL "listen = 203.0.113.1:21\n" \
		"certificate = /etc/ftpsgw/gateway.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n"

static void
test_sections(void **state)
{
	static const char text[] = BASE_GLOBAL
	    "backend_ca = /etc/ftpsgw/lan-ca.pem\n"	/* 4: the default */
	    "route = user\n"
	    "balance = sticky\n"
	    "default_pool = files\n"
	    "\n"
	    "[backend nas]   # the NAS\n"
	    "backend = 198.51.100.10\n"
	    "pool = files\n"
	    "[ backend  nas-2.old ]\n"
	    "backend = 198.51.100.11\n"
	    "backend_tls = implicit\n"
	    "backend_ca = /etc/ftpsgw/other-ca.pem\n"
	    "pool = files\n"
	    "[backend portal]\n"
	    "backend = [2001:db8:2::12]:2121\n"
	    "backend_verify = off\n";
	struct config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, text, strlen(text), err, sizeof(err)),
	    0);
	assert_true(cfg.backend_sections);
	assert_int_equal(cfg.n_backends, 3);
	assert_string_equal(cfg.backends[0].section, "nas");
	assert_int_equal(cfg.backends[0].line, 9);
	assert_string_equal(cfg.backends[0].host, "198.51.100.10");
	assert_int_equal(cfg.backends[0].port, 21);
	assert_string_equal(cfg.backends[0].ca, "/etc/ftpsgw/lan-ca.pem");
	assert_string_equal(cfg.backends[1].section, "nas-2.old");
	assert_int_equal(cfg.backends[1].port, 990);
	assert_string_equal(cfg.backends[1].ca, "/etc/ftpsgw/other-ca.pem");
	assert_string_equal(cfg.backends[2].host, "2001:db8:2::12");
	assert_int_equal(cfg.backends[2].port, 2121);
	assert_false(cfg.backends[2].verify);
	assert_true(cfg.backends[0].verify);
	assert_string_equal(cfg.backends[2].pool, "portal");
	/* files (nas, nas-2.old), portal, and nas and nas-2.old alone. */
	assert_int_equal(cfg.n_pools, 4);
	assert_string_equal(cfg.pools[0].name, "files");
	assert_int_equal(cfg.pools[0].n, 2);
	assert_int_equal(cfg.pools[0].member[1], 1);
	assert_int_equal(cfg_pool_find(&cfg, "portal", 6), 1);
	assert_int_equal(cfg_pool_find(&cfg, "nas", 3), 2);
	assert_int_equal(cfg.pools[2].n, 1);
	assert_int_equal(cfg_pool_find(&cfg, "nas-2.old", 9), 3);
	assert_int_equal(cfg_pool_find(&cfg, "nas-2", 5), -1);
	assert_int_equal(cfg.default_pool_idx, 0);
	assert_int_equal(cfg.route, CFG_ROUTE_USER);
	assert_int_equal(cfg.balance, CFG_BALANCE_STICKY);
	assert_true(cfg_key_per_backend(CFG_K_BACKEND_NAME));
	assert_true(cfg_key_per_backend(CFG_K_POOL));
	assert_false(cfg_key_per_backend(CFG_K_ROUTE));
	assert_false(cfg_key_per_backend(CFG_K_COUNT));
}

/* Today's top-level keys alone: one backend called "default", its own
 * pool, where every session goes (route = default). */
static void
test_sections_implicit(void **state)
{
	struct config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, BASE, strlen(BASE), err, sizeof(err)),
	    0);
	assert_false(cfg.backend_sections);
	assert_int_equal(cfg.n_backends, 1);
	assert_string_equal(cfg.backends[0].section, "default");
	assert_string_equal(cfg.backends[0].pool, "default");
	assert_int_equal(cfg.n_pools, 1);
	assert_int_equal(cfg.default_pool_idx, 0);
	assert_int_equal(cfg.route, CFG_ROUTE_DEFAULT);
	/* route = user without default_pool: unmatched users have none. */
	assert_int_equal(parse(&cfg, BASE "route = user\n",
	    strlen(BASE "route = user\n"), err, sizeof(err)), 0);
	assert_int_equal(cfg.default_pool_idx, -1);
}

static const struct reject_row section_rejects[] = {
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "listen = 203.0.113.1:2121\n"),
	  F ":6: [backend nas] listen: is a global key, not one of a "
	  "backend; expected it above the first [backend] section" },
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "backend_tls = tls\n"),
	  F ":6: [backend nas] backend_tls: 'tls' is not a backend TLS mode; "
	  "expected explicit, implicit or off" },
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "backend = 198.51.100.11\n"),
	  F ":6: [backend nas] backend: already set on line 5; expected each "
	  "key once per section (only listen and listen_implicit repeat)" },
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "[backend nas]\nbackend = 198.51.100.11\n"),
	  F ":6: [backend nas]: already on line 4; expected each backend "
	  "name once" },
	{ B(BASE_GLOBAL "[backend n@s]\n"),
	  F ":4: [backend n@s]: 'n@s' is not a backend name; expected a name "
	  "of 1 to 32 letters, digits, '_', '.' or '-'" },
	{ B(BASE_GLOBAL "[backend 012345678901234567890123456789012]\n"),
	  F ":4: [backend 012345678901234567890123456789012]: "
	  "'012345678901234567890123456789012' is not a backend name; "
	  "expected a name of 1 to 32 letters, digits, '_', '.' or '-'" },
	{ B(BASE_GLOBAL "[backend nas\n"),
	  F ":4: [backend nas: section header without ']'; expected "
	  "[backend NAME]" },
	{ B(BASE "[backend nas]\nbackend = 198.51.100.11\n"),
	  F ":5: [backend nas]: backend is set at the top level (line 4); "
	  "with [backend] sections every server is in one: move that line "
	  "into a [backend NAME] section" },
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "[backend portal]\nbackend_verify = off\n"),
	  F ":6: [backend portal] backend: required key is missing in this "
	  "section (e.g. backend = 198.51.100.10:21)" },
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "pool = fi/es\n"),
	  F ":6: [backend nas] pool: 'fi/es' is not a pool name; expected a "
	  "name of 1 to 32 letters, digits, '_', '.' or '-'" },
	{ B(BASE_GLOBAL "[backend nas]\nbackend = 198.51.100.10\n"
	    "pool = portal\n[backend portal]\nbackend = 198.51.100.11\n"
	    "pool = web\n"),
	  F ":7: [backend portal] pool: 'portal' is a pool of other backends "
	  "but also this backend's name; expected a pool name that is no "
	  "other backend's" },
	{ B(BASE "default_pool = nas\n"),
	  F ":5: default_pool: 'nas' is neither a pool nor a backend; expected "
	  "the name of a [backend] section or a pool = NAME" },
	{ B(BASE "user_map = /etc/ftpsgw/users.map\n"),
	  F ":5: user_map: is only read with route = user; expected route = "
	  "user too, or no user_map" },
	{ B(BASE "user_map = users.map\nroute = user\n"),
	  F ":5: user_map: 'users.map' is not an absolute path; expected an "
	  "absolute file path of at most 511 bytes, e.g. "
	  "/etc/ftpsgw/users.map" },
	{ B(BASE "route = pool\n"),
	  F ":5: route: 'pool' is not a route; expected default (every "
	  "session to default_pool) or user (by USER name@NAME or user_map)" },
	{ B(BASE "balance = random\n"),
	  F ":5: balance: 'random' is not a balance policy; expected "
	  "round-robin, least-connections or sticky" },
	{ B(BASE_GLOBAL),
	  F ": backend: required key is missing (e.g. backend = "
	  "198.51.100.10:21)" },
};

static void
test_section_reject(void **state)
{
	struct config cfg;
	char err[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(section_rejects) / sizeof(section_rejects[0]);
	    i++) {
		const struct reject_row *r = &section_rejects[i];

		assert_int_equal(parse(&cfg, r->in.p, r->in.len, err,
		    sizeof(err)), -1);
		if (strcmp(err, r->err) != 0)
			fail_msg("row %zu:\n got  \"%s\"\n want \"%s\"", i,
			    err, r->err);
	}
}

/* At most CFG_BACKENDS_MAX sections. */
static void
test_section_count(void **state)
{
	static char text[16384];
	struct config cfg;
	char err[512];
	size_t i, o;

	(void)state;
	o = (size_t)snprintf(text, sizeof(text), "%s", BASE_GLOBAL);
	for (i = 0; i < CFG_BACKENDS_MAX; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "[backend b%zu]\nbackend = 198.51.100.%zu\n", i, i + 1);
	assert_int_equal(parse(&cfg, text, o, err, sizeof(err)), 0);
	assert_int_equal(cfg.n_backends, CFG_BACKENDS_MAX);
	assert_int_equal(cfg.n_pools, CFG_BACKENDS_MAX);
	o += (size_t)snprintf(text + o, sizeof(text) - o,
	    "[backend one-too-many]\n");
	assert_int_equal(parse(&cfg, text, o, err, sizeof(err)), -1);
	assert_string_equal(err, F ":132: [backend one-too-many]: more than "
	    "64 backends; expected at most 64 [backend] sections");
}

/* ---- the key table and the printer (ftpsgw -T, the manual's check) ---- */

/* Every key's value text after cfg_defaults; NULL: not set. */
static const char *const default_text[CFG_K_COUNT] = {
	[CFG_K_LISTEN] = NULL,
	[CFG_K_LISTEN_IMPLICIT] = NULL,
	[CFG_K_CERTIFICATE] = NULL,
	[CFG_K_PRIVATE_KEY] = NULL,
	[CFG_K_PUBLIC_ADDRESS] = NULL,
	[CFG_K_PASSIVE_PORTS] = "61000-61999",
	[CFG_K_BACKEND] = NULL,
	[CFG_K_BACKEND_TLS] = "explicit",
	[CFG_K_BACKEND_CA] = NULL,
	[CFG_K_BACKEND_VERIFY] = "on",
	[CFG_K_BACKEND_FINGERPRINT] = NULL,
	[CFG_K_BACKEND_NAME] = NULL,
	[CFG_K_BACKEND_SOURCE] = "gateway",
	[CFG_K_BACKEND_PROXY_PROTOCOL] = "off",
	[CFG_K_CLIENT_TLS] = "required",
	[CFG_K_REQUIRE_SESSION_REUSE] = "on",
	[CFG_K_ACTIVE_MODE] = "on",
	[CFG_K_ALLOW_CCC] = "off",
	[CFG_K_CONNTRACK] = "auto",
	[CFG_K_DATA_PATH] = "relay",
	[CFG_K_CONNECT_TIMEOUT] = "10",
	[CFG_K_IDLE_TIMEOUT] = "600",
	[CFG_K_DATA_TIMEOUT] = "60",
	[CFG_K_LOG_LEVEL] = "info",
	[CFG_K_USER] = NULL,
	[CFG_K_CHROOT] = NULL,
	[CFG_K_MAX_SESSIONS] = "2000",
	[CFG_K_MAX_SESSIONS_PER_IP] = "50",
	[CFG_K_HANDSHAKE_TIMEOUT] = "10",
	[CFG_K_MAX_LOGIN_FAILURES] = "5",
	[CFG_K_BAN_TIME] = "600",
	[CFG_K_BAN_PREFIX4] = "32",
	[CFG_K_BAN_PREFIX6] = "64",
	[CFG_K_SHUTDOWN_TIMEOUT] = "30",
	[CFG_K_WORKERS] = "auto",
	[CFG_K_BANNER] = "ftpsgw ready.",
	[CFG_K_METRICS_PUBLIC] = "off",
	[CFG_K_LOG] = "stderr",
	[CFG_K_POOL] = "default",
	[CFG_K_ROUTE] = "default",
	[CFG_K_BALANCE] = "round-robin",
	[CFG_K_DEFAULT_POOL] = NULL,
	[CFG_K_USER_MAP] = NULL,
	[CFG_K_HEALTH_CHECK] = "off",
	[CFG_K_HEALTH_INTERVAL] = "10",
	[CFG_K_HEALTH_RISE] = "2",
	[CFG_K_HEALTH_FALL] = "3",
};

static void
test_key_table(void **state)
{
	enum cfg_key_id a, b;

	(void)state;
	for (a = 0; a < CFG_K_COUNT; a++) {
		assert_non_null(cfg_key_name(a));
		assert_non_null(cfg_key_expect(a));
		for (b = 0; b < a; b++)
			assert_string_not_equal(cfg_key_name(a),
			    cfg_key_name(b));
	}
	assert_null(cfg_key_name(CFG_K_COUNT));
	assert_null(cfg_key_expect(CFG_K_COUNT));
	assert_null(cfg_key_word(CFG_K_COUNT, 0));
	assert_string_equal(cfg_key_name(CFG_K_PASSIVE_PORTS), "passive_ports");
	assert_string_equal(cfg_key_expect(CFG_K_CONNTRACK), "on, off or auto");
	assert_string_equal(cfg_key_word(CFG_K_CONNTRACK, 0), "on");
	assert_string_equal(cfg_key_word(CFG_K_CONNTRACK, 2), "auto");
	assert_null(cfg_key_word(CFG_K_CONNTRACK, 3));
	assert_null(cfg_key_word(CFG_K_WORKERS, 0));	/* not a word key */
	assert_string_equal(cfg_key_word_of(CFG_K_BACKEND_TLS,
	    CFG_BACKEND_OFF), "off");
	assert_string_equal(cfg_key_word_of(CFG_K_ALLOW_CCC, 1), "on");
	assert_null(cfg_key_word_of(CFG_K_ALLOW_CCC, 2));
	assert_null(cfg_key_word_of(CFG_K_BANNER, 0));
}

static void
test_print_defaults(void **state)
{
	char v[CFG_VALUE_MAX];
	struct config cfg;
	enum cfg_key_id id;

	(void)state;
	cfg_defaults(&cfg);
	for (id = 0; id < CFG_K_COUNT; id++) {
		int r = cfg_key_value(&cfg, id, 0, v, sizeof(v));

		if (default_text[id] == NULL) {
			assert_int_equal(r, 0);
			assert_string_equal(v, "");
		} else {
			assert_int_equal(r, 1);
			assert_string_equal(v, default_text[id]);
		}
		/* Only the listeners have a second value, and not here. */
		assert_int_equal(cfg_key_value(&cfg, id, 1, v, sizeof(v)), 0);
	}
}

/* Every key set away from its default, in forms the printer changes. */
#define FULL	"listen = 203.0.113.1:21\n" \
		"listen_implicit = [2001:DB8:1::1]:990\n" \
		"listen = [2001:db8:1::0001]:2121\n" \
		"certificate = /etc/ftpsgw/site#2.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n" \
		"public_address = [2001:db8::9]\n" \
		"passive_ports = 40000 - 40099\n" \
		"backend = nas.lan.example\n" \
		"backend_tls = implicit\n" \
		"backend_ca = /etc/ftpsgw/lan-ca.pem\n" \
		"backend_verify = off\n" \
		"backend_fingerprint = sha256:" FP64 "\n" \
		"backend_name = ftp.lan.example\n" \
		"backend_proxy_protocol = v2\n" \
		"client_tls = optional\n" \
		"require_session_reuse = off\n" \
		"active_mode = off\n" \
		"allow_ccc = on\n" \
		"conntrack = on\n" \
		"data_path = kernel\n" \
		"connect_timeout = 11\n" \
		"idle_timeout = 601\n" \
		"data_timeout = 61\n" \
		"log_level = debug\n" \
		"user = ftpsgw\n" \
		"chroot = /var/lib/ftpsgw\n" \
		"max_sessions = 2001\n" \
		"max_sessions_per_ip = 51\n" \
		"handshake_timeout = 12\n" \
		"max_login_failures = 0\n" \
		"ban_time = 86400\n" \
		"ban_prefix4 = 24\n" \
		"ban_prefix6 = 128\n" \
		"shutdown_timeout = 1\n" \
		"workers = 64\n" \
		"banner = Example Corp. FTP, be nice   # not part of it\n" \
		"metrics_listen = 127.0.0.1:9199\n" \
		"transfer_log = /var/log/ftpsgw/xferlog\n" \
		"log = syslog\n" \
		"pool = nas\n" \
		"route = user\n" \
		"balance = least-connections\n" \
		"default_pool = nas\n" \
		"user_map = /etc/ftpsgw/users.map\n" \
		"health_check = on\n" \
		"health_interval = 3600\n" \
		"health_rise = 1\n" \
		"health_fall = 100\n"

/* What ftpsgw -T prints for FULL, in table order, one value a line. */
#define FULL_PRINTED "listen = 203.0.113.1:21\n" \
		"listen = [2001:db8:1::1]:2121\n" \
		"listen_implicit = [2001:db8:1::1]:990\n" \
		"certificate = /etc/ftpsgw/site#2.pem\n" \
		"private_key = /etc/ftpsgw/gateway.key\n" \
		"public_address = 2001:db8::9\n" \
		"passive_ports = 40000-40099\n" \
		"backend = nas.lan.example:990\n" \
		"backend_tls = implicit\n" \
		"backend_ca = /etc/ftpsgw/lan-ca.pem\n" \
		"backend_verify = off\n" \
		"backend_fingerprint = sha256:00:11:22:33:44:55:66:77:88:99:" \
		"AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:" \
		"EE:FF\n" \
		"backend_name = ftp.lan.example\n" \
		"backend_source = gateway\n" \
		"backend_proxy_protocol = v2\n" \
		"client_tls = optional\n" \
		"require_session_reuse = off\n" \
		"active_mode = off\n" \
		"allow_ccc = on\n" \
		"conntrack = on\n" \
		"data_path = kernel\n" \
		"connect_timeout = 11\n" \
		"idle_timeout = 601\n" \
		"data_timeout = 61\n" \
		"log_level = debug\n" \
		"user = ftpsgw\n" \
		"chroot = /var/lib/ftpsgw\n" \
		"max_sessions = 2001\n" \
		"max_sessions_per_ip = 51\n" \
		"handshake_timeout = 12\n" \
		"max_login_failures = 0\n" \
		"ban_time = 86400\n" \
		"ban_prefix4 = 24\n" \
		"ban_prefix6 = 128\n" \
		"shutdown_timeout = 1\n" \
		"workers = 64\n" \
		"banner = Example Corp. FTP, be nice\n" \
		"metrics_listen = 127.0.0.1:9199\n" \
		"metrics_public = off\n" \
		"transfer_log = /var/log/ftpsgw/xferlog\n" \
		"log = syslog\n" \
		"pool = nas\n" \
		"route = user\n" \
		"balance = least-connections\n" \
		"default_pool = nas\n" \
		"user_map = /etc/ftpsgw/users.map\n" \
		"health_check = on\n" \
		"health_interval = 3600\n" \
		"health_rise = 1\n" \
		"health_fall = 100\n"

/* All of cfg as key = value lines (as main.c's -T writes them, without the
 * comments for keys not set) into out. */
static void
print_all(const struct config *cfg, char *out, size_t cap)
{
	char v[CFG_VALUE_MAX];
	enum cfg_key_id id;
	size_t nth, o = 0;

	out[0] = '\0';
	for (id = 0; id < CFG_K_COUNT; id++) {
		for (nth = 0; cfg_key_value(cfg, id, nth, v, sizeof(v)) == 1;
		    nth++) {
			int n = snprintf(out + o, cap - o, "%s = %s\n",
			    cfg_key_name(id), v);

			assert_true(n > 0 && (size_t)n < cap - o);
			o += (size_t)n;
		}
	}
}

static void
test_print_roundtrip(void **state)
{
	static char once[8192], twice[8192];
	struct config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, FULL, strlen(FULL), err, sizeof(err)),
	    0);
	print_all(&cfg, once, sizeof(once));
	assert_string_equal(once, FULL_PRINTED);
	/* What was printed reads back to the same settings. */
	assert_int_equal(parse(&cfg, once, strlen(once), err, sizeof(err)),
	    0);
	print_all(&cfg, twice, sizeof(twice));
	assert_string_equal(twice, once);
}

/* Each word of each closed set is read and printed back as itself. */
static void
test_print_words(void **state)
{
	char text[512], err[512], v[CFG_VALUE_MAX];
	struct config cfg;
	enum cfg_key_id id;
	size_t j, words = 0;
	const char *w;

	(void)state;
	for (id = 0; id < CFG_K_COUNT; id++) {
		for (j = 0; (w = cfg_key_word(id, j)) != NULL; j++, words++) {
			snprintf(text, sizeof(text), BASE "%s = %s\n",
			    cfg_key_name(id), w);
			assert_int_equal(parse(&cfg, text, strlen(text), err,
			    sizeof(err)), 0);
			assert_int_equal(cfg_key_value(&cfg, id, 0, v,
			    sizeof(v)), 1);
			assert_string_equal(v, w);
		}
	}
	/* on/off for backend_verify, require_session_reuse, active_mode,
	 * allow_ccc, metrics_public and health_check; 3 backend_tls, 2
	 * client_tls, 3 conntrack, 2 data_path, 5 log_level, 2 log, 2
	 * backend_source, 2 backend_proxy_protocol, 2 route, 3 balance. */
	assert_int_equal(words, 6 * 2 + 3 + 2 + 3 + 2 + 5 + 2 + 2 + 2 + 2 + 3);
}

/* A buffer too small: -1 and an empty string, never a cut value. */
static void
test_print_small(void **state)
{
	char v[8];
	struct config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, FULL, strlen(FULL), err, sizeof(err)),
	    0);
	memset(v, 'x', sizeof(v));
	assert_int_equal(cfg_key_value(&cfg, CFG_K_BANNER, 0, v, sizeof(v)),
	    -1);
	assert_string_equal(v, "");
	memset(v, 'x', sizeof(v));
	assert_int_equal(cfg_key_value(&cfg, CFG_K_BACKEND_FINGERPRINT, 0, v,
	    sizeof(v)), -1);
	assert_string_equal(v, "");
	assert_int_equal(cfg_key_value(&cfg, CFG_K_WORKERS, 0, v, 3), 1);
	assert_string_equal(v, "64");
	assert_int_equal(cfg_key_value(&cfg, CFG_K_WORKERS, 0, v, 2), -1);
	assert_int_equal(cfg_key_value(&cfg, CFG_K_COUNT, 0, v, sizeof(v)),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_max_listeners),
		cmocka_unit_test(test_error_buffer),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_sections_implicit),
		cmocka_unit_test(test_section_reject),
		cmocka_unit_test(test_section_count),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_print_defaults),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_print_words),
		cmocka_unit_test(test_print_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
