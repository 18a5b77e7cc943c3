"""Cipher preference (performance issue): ftpsgw measures AES-128-GCM
against ChaCha20-Poly1305 at start and puts the faster first, on both
sides. A CPU without AES instructions (a common router) is simulated by
masking AES-NI from OpenSSL with OPENSSL_ia32cap."""

import os
import platform
import re

import pytest

from test_gateway import curl, gw_config, same, url

# OpenSSL's x86 capability mask: clear AES-NI (bit 57) and PCLMULQDQ
# (bit 33), which AES-GCM's fast path needs.
NO_AESNI = "~0x200000200000000"


def choice(gw):
    m = re.search(r"TLS: (AES-GCM|ChaCha20-Poly1305) preferred \(this CPU "
                  r"encrypts AES-128-GCM at (\d+) MB/s, ChaCha20-Poly1305 at "
                  r"(\d+) MB/s\)", gw.log_text())
    assert m, gw.log_text()[-2000:]
    return m.group(1), int(m.group(2)), int(m.group(3))


def download(lab, certs, proftpd, gw, name):
    out = lab.path(name)
    r = curl(lab, certs, proftpd, "-v", url("f1M"), "-o", out)
    assert r.returncode == 0, r.stderr[-2000:]
    assert same(out, os.path.join(proftpd.home, "f1M"))
    # Control and data connection both.
    return re.findall(r"SSL connection using TLSv1\.3 / (\S+)", r.stderr)


def test_fastest_cipher_first(lab, certs, proftpd, start_gw):
    gw = start_gw(gw_config(certs, proftpd))
    first, aes, chacha = choice(gw)
    # ChaCha20 goes first only when clearly faster (1.25x; both speeds are
    # logged rounded, hence the slack).
    assert (first == "AES-GCM") == (chacha < 1.25 * aes + 2), (aes, chacha)
    want = "TLS_AES_128_GCM_SHA256" if first == "AES-GCM" else \
        "TLS_CHACHA20_POLY1305_SHA256"
    assert download(lab, certs, proftpd, gw, "cipher-default") == [want] * 2
    # Toward the server too (TLS 1.2 there; ProFTPD may keep its own order,
    # so only check that the relay names a cipher of the same family).
    relay = re.search(r"data relay on port \d+: client TLSv1\.3 (\S+), "
                      r"resumed, server TLSv1\.2 (\S+),", gw.log_text())
    assert relay and relay.group(1) == want, gw.log_text()[-2000:]


@pytest.mark.skipif(platform.machine() != "x86_64",
                    reason="OPENSSL_ia32cap masks x86 CPU features only")
def test_chacha20_first_without_aes_instructions(lab, certs, proftpd,
                                                 start_gw):
    gw = start_gw(gw_config(certs, proftpd),
                  env={"OPENSSL_ia32cap": NO_AESNI})
    first, aes, chacha = choice(gw)
    assert first == "ChaCha20-Poly1305" and chacha > 1.25 * aes, (aes, chacha)
    assert download(lab, certs, proftpd, gw, "cipher-noaes") == \
        ["TLS_CHACHA20_POLY1305_SHA256"] * 2
