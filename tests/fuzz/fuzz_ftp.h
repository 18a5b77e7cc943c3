/* Helpers shared by the FTP fuzz targets (fuzz_command.c, fuzz_reply.c):
 * the framing driver and the address round trips both directions need. */
#ifndef FTPSGW_TESTS_FUZZ_FTP_H
#define FTPSGW_TESTS_FUZZ_FTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "proxy/ftp_parse.h"
#include "tests/fuzz/fuzz_check.h"


/*
 * fuzz_ftp_frames - cut data into lines as a session does, and hand each to
 * on_line, checking the framer's contract on the way.
 * The first byte picks the line limit (bit 7 set: FTP_LINE_MAX, else 0..63,
 * so short inputs reach FTP_FRAME_TOO_LONG) and the read size (1..50 bytes,
 * as a socket might deliver them); the rest is the byte stream. on_line gets
 * every whole line, also those holding a NUL (a session rejects those, but
 * the parsers take (p, len) and must not care). The line is a heap copy of
 * exactly len bytes, so ASan catches a read past its end. ctx is passed on.
 */
void fuzz_ftp_frames(const uint8_t *data, size_t size,
    void (*on_line)(void *ctx, const char *p, size_t len), void *ctx);

/* Checks a writer's result (line with CRLF, NUL-terminated) and returns the
 * length of the line without its CRLF, as the framer would hand it over. */
size_t fuzz_ftp_body(const char *buf, int n);

/* Same family, address bytes and port. */
bool fuzz_ftp_addr_equal(const struct net_addr *a, const struct net_addr *b);

/* What every parser promises about an address it accepted. */
void fuzz_ftp_check_addr(const struct net_addr *a);

/*
 * fuzz_ftp_round_trip - write a (an accepted address) in every form the
 * gateway writes it (227 and PORT for IPv4, EPRT for both) and check that
 * the matching parser reads back the same address, and that each writer
 * refuses, rather than truncates, when the buffer is one byte short.
 */
void fuzz_ftp_round_trip(const struct net_addr *a);

#endif
