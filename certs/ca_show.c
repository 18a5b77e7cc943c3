/* Printing certificates for administrators: one labelled line per fact, the
 * fingerprints in the form clients show, peer-supplied text escaped. */
#include "certs/ca_show.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "certs/ca.h"

/* Longest line value we build before printing (SAN lists are cut there). */
#define CA_SHOW_LINE_MAX 2048

/* Append to buf (capacity cap) without overflowing; cut text ends in "...". */
static void
ca_show_append(char *buf, size_t cap, const char *text)
{
	size_t len, add;

	len = strlen(buf);
	add = strlen(text);
	if (len + add < cap) {
		memcpy(buf + len, text, add + 1);
	} else if (cap >= 4) {
		snprintf(buf + len, cap - len, "%s", text);
		memcpy(buf + cap - 4, "...", 4);
	}
}

/* Printable ASCII as is, anything else as \xNN: certificates come from
 * anywhere and must not drive the terminal. */
static void
ca_show_escape(char *dst, size_t cap, const unsigned char *p, int len)
{
	char tmp[8];
	int i;

	dst[0] = '\0';
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			snprintf(tmp, sizeof(tmp), "%c", p[i]);
		else
			snprintf(tmp, sizeof(tmp), "\\x%02x", p[i]);
		ca_show_append(dst, cap, tmp);
	}
}

char *
ca_show_fingerprint(X509 *x, const EVP_MD *md, char *buf)
{
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int len, i;

	if (!X509_digest(x, md, dig, &len) || len == 0 ||
	    3 * len > CA_SHOW_FPR_MAX)
		return NULL;
	for (i = 0; i < len; i++)
		snprintf(buf + (size_t)3 * i, 4, "%02X%s", dig[i],
		    i + 1 < len ? ":" : "");
	return buf;
}

/* One subtree list ("DNS:a, IP:b/24") appended to buf. */
static void
ca_show_nc_list(const struct ca_nc *nc, int k, char *buf, size_t cap)
{
	char item[CA_DNS_MAX + 16], ip[CA_IP_TEXT_MAX];
	const char *sep;
	size_t i;

	sep = "";
	for (i = 0; i < nc->n_dns[k]; i++) {
		if (nc->dns[k][i][0] == '\0')
			snprintf(item, sizeof(item), "%sDNS:(every name)", sep);
		else
			snprintf(item, sizeof(item), "%sDNS:%s", sep,
			    nc->dns[k][i]);
		ca_show_append(buf, cap, item);
		sep = ", ";
	}
	for (i = 0; i < nc->n_ip[k]; i++) {
		snprintf(item, sizeof(item), "%sIP:%s", sep,
		    ca_name_ip_text(&nc->ip[k][i], ip));
		ca_show_append(buf, cap, item);
		sep = ", ";
	}
}

char *
ca_show_nc(const struct ca_nc *nc, char *buf, size_t cap)
{
	char raw[CA_SHOW_LINE_MAX], other[64];
	int any;

	raw[0] = '\0';
	any = 0;
	if (nc->n_dns[CA_NC_PERMIT] + nc->n_ip[CA_NC_PERMIT] > 0) {
		ca_show_append(raw, sizeof(raw), "permitted ");
		ca_show_nc_list(nc, CA_NC_PERMIT, raw, sizeof(raw));
		any = 1;
	}
	if (nc->n_dns[CA_NC_EXCLUDE] + nc->n_ip[CA_NC_EXCLUDE] > 0) {
		ca_show_append(raw, sizeof(raw), any ? "; excluded " :
		    "excluded ");
		ca_show_nc_list(nc, CA_NC_EXCLUDE, raw, sizeof(raw));
		any = 1;
	}
	if (nc->n_other > 0) {
		snprintf(other, sizeof(other), "%s%zu of other name types",
		    any ? "; " : "", nc->n_other);
		ca_show_append(raw, sizeof(raw), other);
	}
	if (nc->truncated)
		ca_show_append(raw, sizeof(raw), "; more not shown");
	/* DNS subtrees come from a certificate: escape them too. */
	ca_show_escape(buf, cap, (const unsigned char *)raw,
	    (int)strlen(raw));
	return buf;
}

static void
ca_show_name(BIO *out, const char *label, const X509_NAME *name)
{
	BIO_printf(out, "  %-22s", label);
	if (X509_NAME_entry_count(name) == 0)
		BIO_printf(out, "(empty)");
	else
		X509_NAME_print_ex(out, name, 0, XN_FLAG_RFC2253);
	BIO_printf(out, "\n");
}

static void
ca_show_sans(BIO *out, X509 *x)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *gn;
	const ASN1_STRING *s;
	char line[CA_SHOW_LINE_MAX], item[CA_DNS_MAX * 4 + 16];
	char esc[CA_DNS_MAX * 4 + 8], ip[INET6_ADDRSTRLEN];
	int i;

	line[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type == GEN_DNS) {
			s = gn->d.dNSName;
			ca_show_escape(esc, sizeof(esc),
			    ASN1_STRING_get0_data(s), ASN1_STRING_length(s));
			snprintf(item, sizeof(item), "DNS:%s", esc);
		} else if (gn->type == GEN_IPADD &&
		    (ASN1_STRING_length(gn->d.iPAddress) == 4 ||
		    ASN1_STRING_length(gn->d.iPAddress) == 16) &&
		    inet_ntop(ASN1_STRING_length(gn->d.iPAddress) == 4 ?
		    AF_INET : AF_INET6, ASN1_STRING_get0_data(gn->d.iPAddress),
		    ip, sizeof(ip)) != NULL) {
			snprintf(item, sizeof(item), "IP:%s", ip);
		} else {
			snprintf(item, sizeof(item), "(name of type %d)",
			    gn->type);
		}
		if (i > 0)
			ca_show_append(line, sizeof(line), ", ");
		ca_show_append(line, sizeof(line), item);
	}
	GENERAL_NAMES_free(gens);
	BIO_printf(out, "  %-22s%s\n", "names (SAN):", line[0] != '\0' ?
	    line : X509_check_ca(x) != 0 ? "(none)" :
	    "(none: TLS clients will reject it as a server certificate)");
}

static void
ca_show_time(BIO *out, const char *label, const ASN1_TIME *t, int end)
{
	struct tm tm;
	char when[64];
	int days, secs;

	if (!ASN1_TIME_to_tm(t, &tm) ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "(unreadable)");
	BIO_printf(out, "  %-22s%s", label, when);
	if (ASN1_TIME_diff(&days, &secs, NULL, t)) {
		if (end && (days > 0 || (days == 0 && secs > 0)))
			BIO_printf(out, " (%d days left)", days);
		else if (end)
			BIO_printf(out, " (EXPIRED %d days ago)", -days);
		else if (days > 0 || secs > 0)
			BIO_printf(out, " (NOT VALID YET: check this "
			    "machine's clock)");
	}
	BIO_printf(out, "\n");
}

static void
ca_show_serial(BIO *out, X509 *x)
{
	const ASN1_INTEGER *sn;
	const unsigned char *p;
	int i, len;

	sn = X509_get0_serialNumber(x);
	p = ASN1_STRING_get0_data(sn);
	len = ASN1_STRING_length(sn);
	BIO_printf(out, "  %-22s%s", "serial:",
	    ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER ? "-" : "");
	for (i = 0; i < len; i++)
		BIO_printf(out, "%02X%s", p[i], i + 1 < len ? ":" : "");
	BIO_printf(out, "%s\n", len == 0 ? "0" : "");
}

static void
ca_show_ca(BIO *out, X509 *x)
{
	struct ca_nc nc;
	struct ca_err err;
	char line[CA_SHOW_LINE_MAX];
	long pathlen;
	int has;

	if (X509_check_ca(x) == 0) {
		BIO_printf(out, "  %-22sno\n", "CA:");
		return;
	}
	pathlen = X509_get_pathlen(x);
	if (pathlen == 0)
		BIO_printf(out, "  %-22syes (signs server certificates, no "
		    "intermediate CAs: pathlen 0)\n", "CA:");
	else if (pathlen > 0)
		BIO_printf(out, "  %-22syes (pathlen %ld)\n", "CA:", pathlen);
	else
		BIO_printf(out, "  %-22syes (no path length limit)\n", "CA:");

	has = ca_nc_get(x, &nc, &err);
	if (has == 1)
		BIO_printf(out, "  %-22s%s\n", "name constraints:",
		    ca_show_nc(&nc, line, sizeof(line)));
	else if (has == 0)
		BIO_printf(out, "  %-22snone (may vouch for any name)\n",
		    "name constraints:");
	else
		BIO_printf(out, "  %-22s%s\n", "name constraints:", err.msg);
}

/* Which certificate signed sk[i]: the next one, itself, or unknown. */
static void
ca_show_signer(BIO *out, STACK_OF(X509) *sk, int i)
{
	X509 *x, *next;
	int n;

	n = sk_X509_num(sk);
	x = sk_X509_value(sk, i);
	next = i + 1 < n ? sk_X509_value(sk, i + 1) : NULL;
	ERR_set_mark();
	if (X509_self_signed(x, 1) == 1)
		BIO_printf(out, "  %-22sitself (a root)\n", "signed by:");
	else if (next != NULL && X509_check_issued(next, x) == X509_V_OK &&
	    X509_verify(x, X509_get0_pubkey(next)) == 1)
		BIO_printf(out, "  %-22scertificate %d below\n", "signed by:",
		    i + 2);
	else if (next != NULL)
		BIO_printf(out, "  %-22sNOT certificate %d below: the chain is "
		    "out of order or incomplete\n", "signed by:", i + 2);
	else
		BIO_printf(out, "  %-22sits issuer (not in this file)\n",
		    "signed by:");
	ERR_pop_to_mark();
}

static int
ca_show_one(BIO *out, STACK_OF(X509) *sk, int i, struct ca_err *err)
{
	X509 *x;
	EVP_PKEY *pub;
	char fpr[CA_SHOW_FPR_MAX], key[128];

	x = sk_X509_value(sk, i);
	BIO_printf(out, "certificate %d of %d\n", i + 1, sk_X509_num(sk));
	ca_show_name(out, "subject:", X509_get_subject_name(x));
	ca_show_name(out, "issuer:", X509_get_issuer_name(x));
	ca_show_sans(out, x);
	ca_show_time(out, "not before:", X509_get0_notBefore(x), 0);
	ca_show_time(out, "not after:", X509_get0_notAfter(x), 1);
	ca_show_serial(out, x);
	if (ca_show_fingerprint(x, EVP_sha256(), fpr) == NULL) {
		ca_err_ssl(err, "cannot hash certificate %d", i + 1);
		return -1;
	}
	BIO_printf(out, "  %-22s%s\n", "SHA-256 fingerprint:", fpr);
	if (ca_show_fingerprint(x, EVP_sha1(), fpr) == NULL) {
		ca_err_ssl(err, "cannot hash certificate %d", i + 1);
		return -1;
	}
	BIO_printf(out, "  %-22s%s\n", "SHA-1 fingerprint:", fpr);
	pub = X509_get0_pubkey(x);
	BIO_printf(out, "  %-22s%s\n", "key:", pub != NULL ?
	    ca_key_describe(pub, key, sizeof(key)) : "(unreadable)");
	ca_show_ca(out, x);
	ca_show_signer(out, sk, i);
	return 0;
}

int
ca_show_chain(BIO *out, STACK_OF(X509) *sk, struct ca_err *err)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++) {
		if (i > 0)
			BIO_printf(out, "\n");
		if (ca_show_one(out, sk, i, err) == -1)
			return -1;
	}
	if (BIO_flush(out) != 1) {
		ca_err_ssl(err, "cannot write to standard output");
		return -1;
	}
	return 0;
}
