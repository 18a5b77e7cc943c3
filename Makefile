# ftpsgw — non-recursive GNU make build. All output goes to build/.
#
#   make            build/ftpsgw and build/ftpsgw-certs
#   make check      unit tests, then integration tests in network namespaces (root)
#   make unit       unit tests only
#   make demo       NAT lab with a real ProFTPD behind a strict router (root)
#   make deps       install the Debian packages the build, tests and demo need
#   make servers    fetch the FTP servers used by the tests into .cache/ (root)
#   make asan       unit tests under ASan+UBSan (build/asan)
#   make check SANITIZE=1  everything built with ASan+UBSan into build/asan,
#                   unit tests, then the integration tests against
#                   build/asan/ftpsgw; a sanitizer report in a gateway's
#                   log fails its test (tests/integration/conftest.py)
#   make valgrind   unit tests (normal build) under valgrind: no memory
#                   errors, no definite or indirect leaks
#   make fuzz       build the libFuzzer targets (clang-14) into build/fuzz/
#                   and run each for FUZZ_SECONDS (default 60); prints runs,
#                   coverage and "no crash" or the crashing input per target;
#                   FUZZ_TARGETS="command reply config telnet" picks which
#                   (also scrub, session, fwcheck, metrics, status, usermap)
#   make headercheck  compile every header on its own
#   make bench      benchmark: ftpsgw vs direct vs ProFTPD mod_proxy in the
#                   namespace lab, its relay CPU vs HAProxy's TLS->TLS,
#                   its system calls per relayed TLS record (strace),
#                   then 1,000/10,000 idle sessions (root;
#                   ~15 min; QUICK=1 for a short run; BENCH_ARGS passes more
#                   options to bench/bench.py); see docs/performance.md
#   make bench-sessions  the session-count part alone (bench/sessions.py)
#   make bench-ab   two builds of ftpsgw A B A B with HAProxy (bench/relay_ab.py)
#   make soak       soak test, not in check (root; SOAK_SECONDS=180 SOAK_CLIENTS=8)
#   make man-lint   the manual pages in man/: mandoc -T lint -W warning,
#                   man -l renders each, and tests/man/check_man.py holds
#                   them to the programs (gateway.conf(5)'s keys and
#                   defaults to ftpsgw -T, options to the usage texts,
#                   the examples run); part of check, no root needed
#   make install    FHS install: PREFIX (/usr/local), DESTDIR, sysconfdir (/etc),
#                   libexecdir ($(PREFIX)/lib: the certbot deploy hook);
#                   never overwrites $(sysconfdir)/ftpsgw/gateway.conf nor
#                   $(sysconfdir)/logrotate.d/ftpsgw
#   make uninstall  removes what install wrote, keeps $(sysconfdir)/ftpsgw
#   make deb        Debian package with dpkg-buildpackage (debian/) into
#                   build/deb/, then lintian (errors fail); make check runs
#                   it when dpkg-buildpackage, dh and lintian are installed

VERSION := 0.1.0
# SANITIZE=1 builds beside the normal build, never over it.
BUILD   ?= $(if $(filter 1,$(SANITIZE)),build/asan,build)
CC      ?= cc
PYTHON  ?= /usr/bin/python3

PKGS := libnetfilter_conntrack libmnl openssl libmicrohttpd

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
# Reports, leaks at exit included, go to stderr: the integration tests keep a
# gateway's stderr as its log and fail the test on a report (conftest.py).
# A test that speeds up the clock preloads libfaketime ahead of the ASan
# runtime, which ASan would otherwise refuse to start with. A small
# quarantine keeps RSS meaningful for the tests that bound it (a 100 MB
# reply streamed through must not look like 300 MB held).
ASAN_OPTIONS  ?= detect_leaks=1:halt_on_error=1:log_path=stderr:quarantine_size_mb=16:verify_asan_link_order=0
UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS UBSAN_OPTIONS
else
CFLAGS  += $(HARDEN)
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# Pure modules: libc only, no I/O; built with -Wconversion as well.
PURE := proxy/ftp_line.c proxy/ftp_parse.c proxy/ftp_rewrite.c \
	proxy/telnet.c proxy/ftp_scrub.c proxy/config.c proxy/config_print.c \
	proxy/portpool.c proxy/hosttab.c proxy/data_plan.c proxy/voice.c proxy/firewall.c \
	proxy/json.c proxy/fw_check.c certs/ca_name.c \
	proxy/addr_scope.c proxy/metrics.c proxy/metrics_text.c proxy/xfer.c \
	proxy/xferlog.c proxy/backend_src.c proxy/proxy_v2.c \
	proxy/status.c proxy/status_text.c proxy/status_table.c \
	proxy/route.c proxy/user_map.c
# Health checks' verdicts and dialogue (issue 17).
PURE += proxy/health.c
PURE_OBJS := $(PURE:%.c=$(BUILD)/%.o)
$(PURE_OBJS): CFLAGS += -Wconversion

PROXY_SRCS := proxy/main.c proxy/worker.c proxy/admission.c proxy/log.c proxy/loop.c \
	proxy/buf.c proxy/conn.c proxy/tls.c proxy/cipher_pref.c proxy/netaddr.c \
	proxy/session.c proxy/session_out.c proxy/session_preamble.c \
	proxy/session_cmd.c proxy/session_reply.c proxy/session_data.c proxy/data.c \
	proxy/data_listen.c proxy/data_setup.c proxy/data_relay.c proxy/priv.c proxy/quitter.c \
	proxy/fw_probe.c proxy/metrics_tls.c proxy/metrics_http.c proxy/metrics_proc.c \
	proxy/session_xfer.c proxy/xferlog_file.c proxy/transparent.c \
	proxy/session_status.c proxy/status_collect.c proxy/status_cli.c \
	proxy/routing.c proxy/health_check.c proxy/file_read.c \
	$(PURE) \
	conntrack/ct.c conntrack/ct_msg.c certs/keys.c
CERTS_SRCS := certs/ftpsgw_certs.c certs/ca.c certs/ca_err.c certs/ca_file.c \
	certs/ca_name.c certs/ca_show.c

all: $(BUILD)/ftpsgw $(BUILD)/ftpsgw-certs

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/ftpsgw: $(PROXY_SRCS:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $^ $(PKG_LIBS)

$(BUILD)/ftpsgw-certs: $(CERTS_SRCS:%.c=$(BUILD)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypto

# ---- unit tests (cmocka); each binary links only the module it tests ----
UNIT_TESTS := test_ftp_line test_ftp_parse test_ftp_rewrite test_telnet \
	test_ftp_scrub test_config test_portpool test_hosttab test_ct_msg \
	test_data_plan test_voice test_firewall test_json test_fw_check \
	test_addr_scope test_metrics test_xfer \
	test_xferlog test_status test_backend_src test_proxy_v2 \
	test_route
UNIT_TESTS += test_health
test_ftp_line_SRCS    := proxy/ftp_line.c
test_ftp_parse_SRCS   := proxy/ftp_parse.c
test_ftp_rewrite_SRCS := proxy/ftp_rewrite.c proxy/ftp_parse.c
test_telnet_SRCS      := proxy/telnet.c
test_ftp_scrub_SRCS   := proxy/ftp_scrub.c
test_config_SRCS      := proxy/config.c proxy/config_print.c proxy/addr_scope.c
test_portpool_SRCS    := proxy/portpool.c
test_hosttab_SRCS     := proxy/hosttab.c
test_voice_SRCS       := proxy/voice.c
test_ct_msg_SRCS      := conntrack/ct_msg.c
test_ct_msg_LIBS      := $(PKG_LIBS)
test_data_plan_SRCS   := proxy/data_plan.c
# firewall's rows are gateway.conf texts, parsed by config.c.
test_firewall_SRCS    := proxy/firewall.c proxy/config.c proxy/addr_scope.c
test_json_SRCS        := proxy/json.c
# fw_check reads what json.c parsed.
test_fw_check_SRCS    := proxy/fw_check.c proxy/json.c
test_addr_scope_SRCS  := proxy/addr_scope.c
test_metrics_SRCS     := proxy/metrics.c proxy/metrics_text.c
test_xfer_SRCS        := proxy/xfer.c
test_xferlog_SRCS     := proxy/xferlog.c
test_status_SRCS      := proxy/status.c proxy/status_text.c \
	proxy/status_table.c proxy/json.c
test_backend_src_SRCS := proxy/backend_src.c proxy/addr_scope.c
test_proxy_v2_SRCS    := proxy/proxy_v2.c
# route and user_map name pools of a parsed configuration.
test_route_SRCS       := proxy/route.c proxy/user_map.c proxy/config.c \
	proxy/addr_scope.c
test_health_SRCS      := proxy/health.c proxy/ftp_line.c proxy/ftp_parse.c

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

# The integration tests run this build's binaries, so SANITIZE=1 tests
# build/asan's: lab.py takes FTPSGW_BIN (and test_gateway_certs.py the
# ftpsgw-certs beside it), test_conntrack_live.py takes CT_LIVE.
FTPSGW_BIN ?= $(abspath $(BUILD))/ftpsgw
CT_LIVE    ?= $(abspath $(BUILD))/tests/ct_live
export FTPSGW_BIN CT_LIVE

integration: all $(BUILD)/tests/ct_live servers
	$(PYTHON) -m pytest -q -p no:cacheprovider tests/integration

ifneq ($(BUILD),build)
# test_certs.py always runs build/ftpsgw-certs (the normal build), whatever
# BUILD is.
integration: certs-for-tests
certs-for-tests:
	$(MAKE) BUILD=build SANITIZE= build/ftpsgw-certs
.PHONY: certs-for-tests
endif

check: $(BUILD)/.deps-ok
	$(MAKE) all unit man-lint
	$(MAKE) deb-if-tools
	$(MAKE) integration

# ---- manual pages (man/): lint, rendering, agreement with the programs ----
MAN_PAGES := man/ftpsgw.8 man/gateway.conf.5 man/ftpsgw-certs.1

# The check runs this build's ftpsgw (SANITIZE=1: build/asan's) and the
# ftpsgw-certs beside it.
man-lint: $(BUILD)/ftpsgw $(BUILD)/ftpsgw-certs
	mandoc -T lint -W warning $(MAN_PAGES)
	$(PYTHON) tests/man/check_man.py --ftpsgw $(BUILD)/ftpsgw \
		--certs $(BUILD)/ftpsgw-certs --man man
	FTPSGW_BIN=$(abspath $(BUILD))/ftpsgw $(PYTHON) -m pytest -q \
		-p no:cacheprovider tests/man

demo: $(BUILD)/.deps-ok
	$(MAKE) all servers
	$(PYTHON) tests/integration/demo.py $(if $(KEEP),--keep)

asan: $(BUILD)/.deps-ok
	$(MAKE) BUILD=build/asan SANITIZE=1 unit

# ---- valgrind: the unit binaries of the normal build ----
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect

valgrind: $(BUILD)/.deps-ok $(UNIT_BINS)
ifeq ($(SANITIZE),1)
	$(error make valgrind runs the normal build: valgrind cannot run ASan binaries, drop SANITIZE=1)
endif
	@set -e; for t in $(UNIT_BINS); do echo "== valgrind $$t"; \
		$(VALGRIND) $$t; done
	@echo "valgrind: $(words $(UNIT_BINS)) unit binaries clean"

# ---- fuzzing: libFuzzer targets built with Debian's clang-14 ----
FUZZ_CC      ?= clang-14
FUZZ_BUILD   := build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= command reply config telnet scrub session fwcheck metrics \
	status usermap
FUZZ_CFLAGS  := -std=c17 -D_GNU_SOURCE -I. -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) \
	-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
FUZZ_FTP := tests/fuzz/fuzz_ftp.c proxy/ftp_line.c proxy/ftp_parse.c \
	proxy/ftp_rewrite.c
fuzz_command_SRCS := tests/fuzz/fuzz_command.c $(FUZZ_FTP)
fuzz_reply_SRCS   := tests/fuzz/fuzz_reply.c $(FUZZ_FTP)
fuzz_config_SRCS  := tests/fuzz/fuzz_config.c proxy/config.c \
	proxy/addr_scope.c
fuzz_telnet_SRCS  := tests/fuzz/fuzz_telnet.c proxy/telnet.c
fuzz_scrub_SRCS   := tests/fuzz/fuzz_scrub.c proxy/ftp_scrub.c
fuzz_fwcheck_SRCS := tests/fuzz/fuzz_fwcheck.c proxy/json.c proxy/fw_check.c
fuzz_metrics_SRCS := tests/fuzz/fuzz_metrics.c proxy/metrics.c \
	proxy/metrics_text.c
fuzz_status_SRCS  := tests/fuzz/fuzz_status.c proxy/status.c \
	proxy/status_text.c proxy/status_table.c proxy/json.c
fuzz_usermap_SRCS := tests/fuzz/fuzz_usermap.c proxy/user_map.c \
	proxy/config.c proxy/addr_scope.c
# The session fuzzer runs the real session code and event loop in process
# (everything but main, the workers and the privilege switch).
fuzz_session_SRCS := tests/fuzz/fuzz_session.c \
	$(filter-out proxy/main.c proxy/worker.c proxy/priv.c \
	proxy/status_collect.c $(PURE), \
	$(PROXY_SRCS)) $(PURE)
fuzz_session_LIBS := $(PKG_LIBS) -pthread
# clang warns about the const cast inside OpenSSL's SSL_set_tlsext_host_name
# macro (tls.c), gcc does not.
fuzz_session_CFLAGS := -Wno-cast-qual
# -max_len: FTP inputs hold two longest lines (FTP_LINE_MAX and CRLF) plus
# the control byte, enough for TOO_LONG at the real limit and the line
# after it; config inputs a whole real file (gateway.conf is 4 KB) or a few
# over-long lines (CFG_LINE_MAX is 1 KB); Telnet inputs a control byte and
# a longest command line with every byte escaped (IAC IAC).
fuzz_command_MAXLEN := 8200
fuzz_reply_MAXLEN   := 8200
fuzz_config_MAXLEN  := 8192
fuzz_telnet_MAXLEN  := 8193
# scrub: one reply line (FTP_LINE_MAX and some) and the pair selector;
# session: a script of one session (two bytes per step, and the answers').
fuzz_scrub_MAXLEN   := 4200
fuzz_session_MAXLEN := 2048
# fwcheck: a ruleset's JSON as nft prints it (the seeds are 0.5-8 KB).
fuzz_fwcheck_MAXLEN := 8192
# metrics: the worker count, two strings of up to 64 bytes with their
# lengths, 8 bytes per counter slot (METRICS_SLOTS is under 256).
fuzz_metrics_MAXLEN := 2200
# status: a few length bytes and up to ~1 KB of strings.
fuzz_status_MAXLEN  := 1200
# usermap: the split byte, a few map lines and a user name.
fuzz_usermap_MAXLEN := 4096

define fuzz_rule
$(FUZZ_BUILD)/fuzz_$(1): $$(fuzz_$(1)_SRCS) $$(wildcard proxy/*.h tests/fuzz/*.h) \
		| $(BUILD)/.deps-ok
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_CFLAGS) $$(fuzz_$(1)_CFLAGS) $$(PKG_CFLAGS) -o $$@ \
		$$(sort $$(fuzz_$(1)_SRCS)) $$(fuzz_$(1)_LIBS)
endef
$(foreach t,command reply config telnet scrub session fwcheck metrics status usermap,$(eval $(call fuzz_rule,$(t))))

# Every target runs, even after one crashed; the exit status says whether
# any did.
fuzz: $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
	@rc=0; $(foreach t,$(FUZZ_TARGETS),bash tests/fuzz/run.sh $(t) \
		$(FUZZ_BUILD)/fuzz_$(t) tests/fuzz/corpus_$(t) \
		$(FUZZ_BUILD)/corpus-$(t) $(fuzz_$(t)_MAXLEN) $(FUZZ_SECONDS) \
		|| rc=1;) exit $$rc

# ---- benchmark (not part of check): bench/, docs/performance.md ----
BENCH_ARGS ?=

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< -lssl -lcrypto

bench: $(BUILD)/.deps-ok
	$(MAKE) all servers $(BUILD)/bench/hsloop $(BUILD)/bench/hsmem
	bash scripts/fetch-servers.sh --modproxy
	bash scripts/fetch-servers.sh --haproxy
	$(PYTHON) bench/bench.py $(if $(QUICK),--quick) \
		--hsloop $(abspath $(BUILD))/bench/hsloop \
		--hsmem $(abspath $(BUILD))/bench/hsmem --out $(abspath $(BUILD))/bench \
		$(BENCH_ARGS)

bench-sessions: $(BUILD)/.deps-ok
	$(MAKE) all
	$(PYTHON) bench/sessions.py $(BENCH_ARGS)

# Two builds side by side, A B A B, with HAProxy in the same rounds:
#   make bench-ab A=/tmp/ftpsgw.before B=build/ftpsgw AB_ARGS="--rounds 8"
bench-ab: $(BUILD)/.deps-ok
	@test -n "$(A)" || { echo "make bench-ab: give A=<ftpsgw binary> (and B=...)"; exit 2; }
	$(MAKE) all servers
	bash scripts/fetch-servers.sh --haproxy
	$(PYTHON) bench/relay_ab.py --a $(A) $(if $(B),--b $(B)) $(AB_ARGS)

.PHONY: bench bench-sessions bench-ab

# ---- soak test (not part of check): tests/soak/soak.py ----
SOAK_SECONDS ?= 180
SOAK_CLIENTS ?= 8

soak: all servers
	$(PYTHON) tests/soak/soak.py --seconds $(SOAK_SECONDS) \
		--clients $(SOAK_CLIENTS) $(if $(SOAK_SEED),--seed $(SOAK_SEED)) \
		--out $(abspath $(BUILD))/soak

.PHONY: soak

# ---- installation (FHS): make install [PREFIX=/usr] [DESTDIR=/tmp/stage] ----
PREFIX     ?= /usr/local
sbindir    ?= $(PREFIX)/sbin
bindir     ?= $(PREFIX)/bin
sysconfdir ?= /etc
docdir     ?= $(PREFIX)/share/doc/ftpsgw
unitdir    ?= $(PREFIX)/lib/systemd/system
mandir     ?= $(PREFIX)/share/man
# Helper programs run by other programs, not by people: Debian keeps them
# in /usr/lib/PACKAGE (certbot runs the deploy hook from there).
libexecdir ?= $(PREFIX)/lib
CONFDIR    := $(sysconfdir)/ftpsgw
HOOKDIR    := $(libexecdir)/ftpsgw
LOGROTATE  := $(sysconfdir)/logrotate.d/ftpsgw
INSTALL    ?= install
# The unit names the paths chosen here, not the ones it is written with.
UNIT_SED := -e 's|/usr/local/sbin/ftpsgw|$(sbindir)/ftpsgw|g' \
	-e 's|/etc/ftpsgw|$(CONFDIR)|g' \
	-e 's|/usr/local/share/doc/ftpsgw|$(docdir)|g'
# The certbot deploy hook reads its settings from the configuration
# directory, and its usage names where it is.
HOOK_SED := -e 's|/etc/ftpsgw|$(CONFDIR)|g' \
	-e 's|/usr/local/lib/ftpsgw|$(HOOKDIR)|g'

# The configuration is the administrator's: written once, never over an
# existing one (a new example goes beside it as gateway.conf.dist).
install: $(BUILD)/ftpsgw $(BUILD)/ftpsgw-certs
	$(INSTALL) -d -m 755 $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) \
		$(DESTDIR)$(docdir) $(DESTDIR)$(unitdir) $(DESTDIR)$(HOOKDIR)
	$(INSTALL) -m 755 $(BUILD)/ftpsgw $(DESTDIR)$(sbindir)/ftpsgw
	$(INSTALL) -m 755 $(BUILD)/ftpsgw-certs $(DESTDIR)$(bindir)/ftpsgw-certs
	sed $(UNIT_SED) etc/ftpsgw.service > $(DESTDIR)$(unitdir)/ftpsgw.service.tmp
	chmod 644 $(DESTDIR)$(unitdir)/ftpsgw.service.tmp
	mv $(DESTDIR)$(unitdir)/ftpsgw.service.tmp $(DESTDIR)$(unitdir)/ftpsgw.service
	sed $(HOOK_SED) etc/certbot-deploy-hook > $(DESTDIR)$(HOOKDIR)/certbot-deploy-hook.tmp
	chmod 755 $(DESTDIR)$(HOOKDIR)/certbot-deploy-hook.tmp
	mv $(DESTDIR)$(HOOKDIR)/certbot-deploy-hook.tmp $(DESTDIR)$(HOOKDIR)/certbot-deploy-hook
	$(INSTALL) -m 644 README.md docs/certs.md docs/performance.md \
		docs/architecture.md etc/prometheus/ftpsgw-alerts.yml \
		$(DESTDIR)$(docdir)/
	@# Manual pages gzipped as Debian ships them (-n: no name or time
	@# inside, the same bytes each time), naming the paths chosen here.
	@set -e; for p in $(MAN_PAGES); do \
		d=$(DESTDIR)$(mandir)/man$${p##*.}; \
		$(INSTALL) -d -m 755 $$d; \
		sed $(UNIT_SED) $$p | gzip -9n > $$d/$${p#man/}.gz.tmp; \
		chmod 644 $$d/$${p#man/}.gz.tmp; \
		mv $$d/$${p#man/}.gz.tmp $$d/$${p#man/}.gz; \
	done
	$(INSTALL) -d -m 750 $(DESTDIR)$(CONFDIR)
	@if [ -e $(DESTDIR)$(CONFDIR)/gateway.conf ]; then \
		$(INSTALL) -m 640 gateway.conf $(DESTDIR)$(CONFDIR)/gateway.conf.dist; \
		echo "install: kept $(CONFDIR)/gateway.conf; the new example is $(CONFDIR)/gateway.conf.dist"; \
	else \
		$(INSTALL) -m 640 gateway.conf $(DESTDIR)$(CONFDIR)/gateway.conf; \
		echo "install: wrote $(CONFDIR)/gateway.conf: fill in backend, certificate and private_key, then $(sbindir)/ftpsgw -t -c $(CONFDIR)/gateway.conf"; \
	fi
	@# The transfer log's rotation: in /etc, so the administrator's,
	@# written once; the shipped one is in docdir too.
	$(INSTALL) -m 644 etc/logrotate.d/ftpsgw $(DESTDIR)$(docdir)/logrotate.ftpsgw
	$(INSTALL) -d -m 755 $(DESTDIR)$(sysconfdir)/logrotate.d
	@if [ -e $(DESTDIR)$(LOGROTATE) ]; then \
		echo "install: kept $(LOGROTATE); the shipped one is $(docdir)/logrotate.ftpsgw"; \
	else \
		$(INSTALL) -m 644 etc/logrotate.d/ftpsgw $(DESTDIR)$(LOGROTATE); \
	fi
	@if [ -n "$(DESTDIR)" ]; then :; \
	elif getent group ftpsgw >/dev/null 2>&1; then \
		chgrp ftpsgw $(CONFDIR) $(CONFDIR)/gateway.conf; \
	else \
		echo "install: the unit runs ftpsgw as user ftpsgw: adduser --system --group --no-create-home ftpsgw; chgrp ftpsgw $(CONFDIR) $(CONFDIR)/gateway.conf"; \
	fi

# Everything install wrote but the configuration directory, which holds the
# administrator's settings, certificate and key.
uninstall:
	rm -f $(DESTDIR)$(sbindir)/ftpsgw $(DESTDIR)$(bindir)/ftpsgw-certs \
		$(DESTDIR)$(unitdir)/ftpsgw.service \
		$(DESTDIR)$(HOOKDIR)/certbot-deploy-hook \
		$(DESTDIR)$(CONFDIR)/gateway.conf.dist \
		$(foreach p,$(MAN_PAGES),$(DESTDIR)$(mandir)/man$(subst \
		.,,$(suffix $(p)))/$(notdir $(p)).gz)
	@# The logrotate file goes only when it is still the shipped one.
	@if [ -e $(DESTDIR)$(LOGROTATE) ] && ! cmp -s $(DESTDIR)$(LOGROTATE) \
		etc/logrotate.d/ftpsgw; then \
		echo "uninstall: $(LOGROTATE) was changed; left as it is"; \
	else \
		rm -f $(DESTDIR)$(LOGROTATE); \
	fi
	rm -rf $(DESTDIR)$(docdir)
	rmdir $(DESTDIR)$(HOOKDIR) 2>/dev/null || true
	@echo "uninstall: $(CONFDIR) is left as it is (your configuration and keys); remove it yourself if you want it gone"

.PHONY: install uninstall

# ---- Debian package: debian/, scripts/build-deb.sh ----
# Built from a copy of the tracked files in build/deb/src, so that
# dpkg-buildpackage writes its results into build/deb/ and never beside the
# checkout; skipped when build/deb already holds the package of this tree.
DEB_TOOLS := dpkg-buildpackage dh lintian

deb:
	bash scripts/build-deb.sh $(abspath build/deb)

deb-if-tools:
	@for t in $(DEB_TOOLS); do command -v $$t >/dev/null 2>&1 || { \
		echo "check: $$t is not installed, so the Debian package is not built (bash scripts/deps.sh installs it)"; \
		exit 0; }; done; $(MAKE) deb

.PHONY: deb deb-if-tools

HEADERS := $(wildcard proxy/*.h conntrack/*.h certs/*.h)
headercheck:
	@set -e; for h in $(HEADERS); do \
		printf '#include "%s"\n' $$h | $(CC) $(CPPFLAGS) $(PKG_CFLAGS) \
			-std=c17 -D_GNU_SOURCE $(WARN) -fsyntax-only -x c - ; done
	@echo "headercheck: $(words $(HEADERS)) headers OK"

clean:
	rm -rf $(BUILD)

.PHONY: all unit deps servers integration check demo asan valgrind fuzz \
	headercheck clean man-lint

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
