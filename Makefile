# ftpsgw — non-recursive GNU make build. All output goes to build/.
#
#   make            build/ftpsgw and build/ftpsgw-certs
#   make check      unit tests, then integration tests in network namespaces (root)
#   make unit       unit tests only
#   make demo       NAT lab with a real ProFTPD behind a strict router (root)
#   make deps       install the Debian packages the build, tests and demo need
#   make servers    fetch the FTP servers used by the tests into .cache/ (root)
#   make asan       unit tests under ASan+UBSan
#   make headercheck  compile every header on its own

VERSION := 0.1.0
BUILD   ?= build
CC      ?= cc
PYTHON  ?= /usr/bin/python3

PKGS := libnetfilter_conntrack libmnl openssl

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wpointer-arith -Wcast-qual -Wundef
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CPPFLAGS += -I. -DFTPSGW_VERSION='"$(VERSION)"' \
	-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c17 -D_GNU_SOURCE $(WARN) -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
else
CFLAGS  += $(HARDEN)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Pure modules: libc only, no I/O; built with -Wconversion as well.
PURE := proxy/ftp_line.c proxy/ftp_parse.c proxy/ftp_rewrite.c \
	proxy/config.c proxy/portpool.c proxy/hosttab.c certs/ca_name.c
PURE_OBJS := $(PURE:%.c=$(BUILD)/%.o)
$(PURE_OBJS): CFLAGS += -Wconversion

PROXY_SRCS := proxy/main.c proxy/log.c proxy/loop.c proxy/buf.c proxy/conn.c \
	proxy/tls.c proxy/netaddr.c proxy/session.c proxy/session_cmd.c \
	proxy/session_reply.c proxy/data.c proxy/priv.c $(PURE) \
	conntrack/ct.c conntrack/ct_msg.c certs/keys.c
CERTS_SRCS := certs/ftpsgw_certs.c certs/ca.c certs/ca_err.c certs/ca_file.c \
	certs/ca_name.c certs/ca_show.c

all: $(BUILD)/ftpsgw $(BUILD)/ftpsgw-certs

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/ftpsgw: $(PROXY_SRCS:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/ftpsgw-certs: $(CERTS_SRCS:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypto

# ---- unit tests (cmocka); each binary links only the module it tests ----
UNIT_TESTS := test_ftp_line test_ftp_parse test_ftp_rewrite test_config \
	test_portpool test_hosttab test_ct_msg
test_ftp_line_SRCS    := proxy/ftp_line.c
test_ftp_parse_SRCS   := proxy/ftp_parse.c
test_ftp_rewrite_SRCS := proxy/ftp_rewrite.c proxy/ftp_parse.c
test_config_SRCS      := proxy/config.c
test_portpool_SRCS    := proxy/portpool.c
test_hosttab_SRCS     := proxy/hosttab.c
test_ct_msg_SRCS      := conntrack/ct_msg.c
test_ct_msg_LIBS      := $(PKG_LIBS)

UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/%)

define unit_rule
$(BUILD)/tests/$(1): $(BUILD)/tests/unit/$(1).o $$($(1)_SRCS:%.c=$(BUILD)/%.o)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ -lcmocka $$($(1)_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

# Small programs the integration tests drive (not installed).
$(BUILD)/tests/ct_live: $(BUILD)/tests/integration/ct_live.o \
		$(BUILD)/conntrack/ct.o $(BUILD)/conntrack/ct_msg.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

deps:
	bash scripts/deps.sh --force

$(BUILD)/.deps-ok: scripts/deps.sh
	bash scripts/deps.sh
	@mkdir -p $(@D); touch $@

servers: $(BUILD)/.deps-ok
	bash scripts/fetch-servers.sh

integration: all $(BUILD)/tests/ct_live servers
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

check: $(BUILD)/.deps-ok
	$(MAKE) all unit
	$(MAKE) integration

demo: $(BUILD)/.deps-ok
	$(MAKE) all servers
	$(PYTHON) tests/integration/demo.py $(if $(KEEP),--keep)

asan:
	$(MAKE) BUILD=build/asan SANITIZE=1 unit

HEADERS := $(wildcard proxy/*.h conntrack/*.h certs/*.h)
headercheck:
	@set -e; for h in $(HEADERS); do \
		printf '#include "%s"\n' $$h | $(CC) $(CPPFLAGS) $(PKG_CFLAGS) \
			-std=c17 -D_GNU_SOURCE $(WARN) -fsyntax-only -x c - ; done
	@echo "headercheck: $(words $(HEADERS)) headers OK"

clean:
	rm -rf $(BUILD)

.PHONY: all unit deps servers integration check demo asan headercheck clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
