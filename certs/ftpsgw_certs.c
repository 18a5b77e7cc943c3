/* ftpsgw-certs: a small private CA for the gateway, so that FTPS clients
 * trust its certificate once the administrator imports one root. Command
 * line, option checks and messages; the work is in ca.c, ca_file.c and
 * ca_show.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certs/ca.h"
#include "certs/ca_err.h"
#include "certs/ca_file.h"
#include "certs/ca_name.h"
#include "certs/ca_show.h"

#ifndef FTPSGW_VERSION
#define FTPSGW_VERSION "unknown"
#endif

#define CERTS_PROG "ftpsgw-certs"

enum certs_exit {
	CERTS_EXIT_OK = 0,
	CERTS_EXIT_ERR = 1,	/* the command could not be done */
	CERTS_EXIT_USAGE = 2,	/* the command line is wrong */
};

/* Values of long options without a short form. */
enum certs_opt {
	OPT_DIR = 256,
	OPT_NAME,
	OPT_DAYS,
	OPT_PERMIT_DNS,
	OPT_PERMIT_IP,
	OPT_RSA,
	OPT_DNS,
	OPT_IP,
	OPT_OUT,
	OPT_FORCE,
	OPT_DER,
};

static const char certs_usage_main[] =
"usage: " CERTS_PROG " COMMAND [OPTIONS]\n"
"\n"
"A small private certificate authority for the ftpsgw FTPS gateway: clients\n"
"import its root certificate once and then trust every gateway certificate\n"
"it issues, without warnings.\n"
"\n"
"commands:\n"
"  init-ca   create a CA (a directory with ca.key and ca.pem)\n"
"  issue     issue a server certificate for the gateway\n"
"  show      print a certificate or chain file: names, dates, fingerprints\n"
"  export    write the root certificate for importing into clients\n"
"\n"
"  " CERTS_PROG " COMMAND --help    options of one command\n"
"  " CERTS_PROG " --version\n"
"\n"
"Two commands from nothing to a trusted gateway certificate:\n"
"  " CERTS_PROG " init-ca --dir /etc/ftpsgw/ca --permit-dns example.com\n"
"  " CERTS_PROG " issue --dir /etc/ftpsgw/ca --dns ftp.example.com \\\n"
"      --out /etc/ftpsgw/gateway\n";

static const char certs_usage_init[] =
"usage: " CERTS_PROG " init-ca --dir DIR [--name NAME] [--days N]\n"
"           [--permit-dns SUFFIX ...] [--permit-ip CIDR ...] [--rsa BITS]\n"
"\n"
"Create DIR (mode 0700) holding ca.key (mode 0600) and ca.pem, a root\n"
"certificate that may sign server certificates only (pathlen 0). An\n"
"existing CA is never overwritten. DIR may exist: a directory only you may\n"
"enter, or an empty one of yours (as mkdir leaves it), set to 0700.\n"
"\n"
"  --dir DIR          directory for the CA (created if missing)\n"
"  --name NAME        the CA's name as clients show it\n"
"                     (default \"ftpsgw private CA\", at most 64 bytes)\n"
"  --days N           validity in days (default 3650)\n"
"  --permit-dns SUFFIX  the root may only vouch for SUFFIX and names below\n"
"                     it (repeatable); \".SUFFIX\" means only names below\n"
"  --permit-ip CIDR   the root may only vouch for addresses in CIDR\n"
"                     (repeatable), e.g. 192.168.1.0/24 or fd00::/8\n"
"  --rsa BITS         RSA key of BITS (2048-8192) instead of ECDSA P-256\n"
"\n"
"Name constraints: once any --permit-* is given, clients reject certificates\n"
"from this root for any other name. A kind not permitted at all is excluded:\n"
"with --permit-dns alone no IP address is allowed, with --permit-ip alone no\n"
"DNS name. Without --permit-*, the root may vouch for any name.\n";

static const char certs_usage_issue[] =
"usage: " CERTS_PROG " issue --dir DIR --dns NAME [--dns NAME ...]\n"
"           [--ip ADDR ...] [--days N] [--rsa BITS] --out PREFIX [--force]\n"
"\n"
"Make a new key and a server certificate signed by the CA in DIR, and\n"
"write PREFIX.key (mode 0600), PREFIX.pem (the certificate) and\n"
"PREFIX.chain.pem (certificate + CA: the gateway's `certificate =`).\n"
"\n"
"  --dir DIR      the CA made by init-ca\n"
"  --dns NAME     a DNS name clients connect to (repeatable; the first is\n"
"                 also the subject CN); *.NAME for a wildcard\n"
"  --ip ADDR      an IPv4 or IPv6 address clients connect to (repeatable)\n"
"                 At least one --dns or --ip is required.\n"
"  --days N       validity in days (default 397; Apple clients refuse more\n"
"                 than 825)\n"
"  --rsa BITS     RSA key of BITS (2048-8192); default: the CA's key type\n"
"  --out PREFIX   where to write the three files\n"
"  --force        replace existing PREFIX.* files\n";

static const char certs_usage_show[] =
"usage: " CERTS_PROG " show FILE\n"
"\n"
"Print each certificate in FILE (PEM, any number, or one DER): subject,\n"
"issuer, names, validity and days left, serial, SHA-256 and SHA-1\n"
"fingerprints (as FileZilla shows them), key, whether it is a CA and\n"
"which certificate signed it.\n";

static const char certs_usage_export[] =
"usage: " CERTS_PROG " export --dir DIR --out FILE [--der] [--force]\n"
"\n"
"Write the CA's root certificate for importing into clients.\n"
"\n"
"  --dir DIR    the CA made by init-ca\n"
"  --out FILE   where to write it (.pem, or .cer/.crt with --der)\n"
"  --der        binary DER instead of PEM text (Windows, some KDE tools)\n"
"  --force      replace an existing FILE\n";

/* Parsed and checked options of every command (one is used per run). */
struct certs_opts {
	const char *cmd;		/* command name, for messages */
	const char *dir;
	const char *name;
	const char *out;
	long days;
	unsigned int rsa_bits;		/* 0: command's default */
	int force;
	int der;
	size_t n_dns;
	const char *dns[CA_NAMES_MAX];	/* point into dns_buf */
	char dns_buf[CA_NAMES_MAX][CA_DNS_MAX + 1];
	size_t n_ip;
	struct ca_ip ip[CA_NAMES_MAX];
	const char *file;		/* show's operand */
};

static int
certs_usage_error(const struct certs_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A command-line mistake: say it, point at --help, exit status 2. */
static int
certs_usage_error(const struct certs_opts *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, CERTS_PROG " %s: ", o->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" CERTS_PROG " %s --help'.\n", o->cmd);
	return CERTS_EXIT_USAGE;
}

/* The command could not be done: err says why and what to change. */
static int
certs_fail(const struct certs_opts *o, const struct ca_err *err)
{
	fprintf(stderr, CERTS_PROG " %s: %s\n", o->cmd, err->msg);
	return CERTS_EXIT_ERR;
}

static void
certs_warn(const struct certs_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
certs_warn(const struct certs_opts *o, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, CERTS_PROG " %s: warning: ", o->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The one number parser: decimal digits only, min..max. */
static int
certs_number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Store one repeatable name option, checked. Returns 0 or an exit code. */
static int
certs_add_name(struct certs_opts *o, int opt, const char *arg)
{
	enum ca_name_result r;
	const char *what;

	if (o->n_dns + o->n_ip == CA_NAMES_MAX)
		return certs_usage_error(o, "at most %d names (DNS and IP "
		    "together)", CA_NAMES_MAX);
	switch (opt) {
	case OPT_DNS:
	case OPT_PERMIT_DNS:
		what = opt == OPT_DNS ? "--dns" : "--permit-dns";
		r = ca_name_dns(arg, opt == OPT_DNS ? CA_NAME_WILDCARD :
		    CA_NAME_LEADING_DOT, o->dns_buf[o->n_dns]);
		if (r == CA_NAME_OK) {
			o->dns[o->n_dns] = o->dns_buf[o->n_dns];
			o->n_dns++;
		}
		break;
	case OPT_IP:
		what = "--ip";
		r = ca_name_ip(arg, &o->ip[o->n_ip]);
		if (r == CA_NAME_OK)
			o->n_ip++;
		break;
	default:
		what = "--permit-ip";
		r = ca_name_cidr(arg, &o->ip[o->n_ip]);
		if (r == CA_NAME_OK)
			o->n_ip++;
		break;
	}
	if (r != CA_NAME_OK)
		return certs_usage_error(o, "%s '%s' is not valid: %s", what,
		    arg, ca_name_strerror(r));
	return 0;
}

/*
 * Parse the options of command o->cmd (argv[0] is the command). Returns 0,
 * CERTS_EXIT_OK after printing help (then *done is set), or a usage error.
 */
static int
certs_parse(struct certs_opts *o, int argc, char **argv,
    const struct option *longopts, const char *usage, int *done)
{
	long v;
	int c, rc;

	*done = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			*done = 1;
			return CERTS_EXIT_OK;
		case OPT_DIR:
			o->dir = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_FORCE:
			o->force = 1;
			break;
		case OPT_DER:
			o->der = 1;
			break;
		case OPT_DAYS:
			if (certs_number(optarg, 1, CA_DAYS_MAX,
			    &o->days) == -1)
				return certs_usage_error(o, "--days must be a "
				    "whole number from 1 to %d, not '%s'",
				    CA_DAYS_MAX, optarg);
			break;
		case OPT_RSA:
			if (certs_number(optarg, CA_RSA_BITS_MIN,
			    CA_RSA_BITS_MAX, &v) == -1)
				return certs_usage_error(o, "--rsa must be a "
				    "key size from %d to %d bits (3072 is a "
				    "good choice), not '%s'", CA_RSA_BITS_MIN,
				    CA_RSA_BITS_MAX, optarg);
			o->rsa_bits = (unsigned int)v;
			break;
		case OPT_DNS:
		case OPT_IP:
		case OPT_PERMIT_DNS:
		case OPT_PERMIT_IP:
			if ((rc = certs_add_name(o, c, optarg)) != 0)
				return rc;
			break;
		case ':':
			return certs_usage_error(o, "option '%s' needs a value",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return certs_usage_error(o, "unknown option "
				    "'-%c'", optopt);
			return certs_usage_error(o, "unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->file = argv[optind++];
	if (optind < argc)
		return certs_usage_error(o, "unexpected argument '%s'",
		    argv[optind]);
	return 0;
}

/* dir/name into buf (PATH_MAX). Returns 0, or -1 with err set. */
static int
certs_path(char *buf, const char *dir, const char *sep, const char *name,
    struct ca_err *err)
{
	int n;

	n = snprintf(buf, PATH_MAX, "%s%s%s", dir, sep, name);
	if (n < 0 || n >= PATH_MAX) {
		ca_err_set(err, "path too long: %s%s%s", dir, sep, name);
		return -1;
	}
	return 0;
}

/* The CA's certificate and key from dir, checked to belong together and to
 * be a CA that is valid now. Returns 0, or -1 with err set. */
static int
certs_load_ca(const struct certs_opts *o, X509 **ca, EVP_PKEY **ca_key,
    struct ca_err *err)
{
	STACK_OF(X509) *sk;
	char cert_path[PATH_MAX], key_path[PATH_MAX];
	int loose;

	*ca = NULL;
	*ca_key = NULL;
	if (certs_path(cert_path, o->dir, "/", CA_FILE_CERT, err) == -1 ||
	    certs_path(key_path, o->dir, "/", CA_FILE_KEY, err) == -1)
		goto fail;
	if (!ca_file_exists(cert_path)) {
		ca_err_set(err, "%s holds no CA (no %s); create one with "
		    "'" CERTS_PROG " init-ca --dir %s', or give the --dir "
		    "used then", o->dir, CA_FILE_CERT, o->dir);
		goto fail;
	}
	if ((sk = ca_file_load_certs(cert_path, err)) == NULL)
		goto fail;
	*ca = sk_X509_shift(sk);
	sk_X509_pop_free(sk, X509_free);
	if (X509_check_ca(*ca) == 0) {
		ca_err_set(err, "%s is not a CA certificate; give the --dir "
		    "made by init-ca", cert_path);
		goto fail_ca;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(*ca)) <= 0) {
		ca_err_set(err, "the CA in %s has expired; create a new one "
		    "with init-ca and have clients import its root", o->dir);
		goto fail_ca;
	}
	if ((*ca_key = ca_file_load_key(key_path, &loose, err)) == NULL)
		goto fail_ca;
	if (loose)
		certs_warn(o, "%s may be read by group or others; run chmod "
		    "600 %s", key_path, key_path);
	if (X509_check_private_key(*ca, *ca_key) != 1) {
		ca_err_set(err, "%s does not belong to %s; restore the pair "
		    "made by init-ca", key_path, cert_path);
		goto fail_key;
	}
	return 0;
fail_key:
	EVP_PKEY_free(*ca_key);
	*ca_key = NULL;
fail_ca:
	X509_free(*ca);
	*ca = NULL;
fail:
	return -1;
}

static int
certs_init_ca(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "permit-dns", required_argument, NULL, OPT_PERMIT_DNS },
		{ "permit-ip", required_argument, NULL, OPT_PERMIT_IP },
		{ "rsa", required_argument, NULL, OPT_RSA },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct certs_opts *o;
	struct ca_key_spec spec;
	struct ca_root_req req;
	struct ca_file_out key_out, cert_out;
	struct ca_err err;
	char key_path[PATH_MAX], cert_path[PATH_MAX], fpr[CA_SHOW_FPR_MAX];
	char desc[128];
	EVP_PKEY *key;
	X509 *root;
	int rc, done, created;
	unsigned was_mode;

	rc = CERTS_EXIT_ERR;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		fprintf(stderr, CERTS_PROG ": out of memory\n");
		goto out;
	}
	o->cmd = "init-ca";
	o->name = "ftpsgw private CA";
	o->days = CA_ROOT_DAYS;
	if ((rc = certs_parse(o, argc, argv, longopts, certs_usage_init,
	    &done)) != 0 || done)
		goto out_opts;
	if (o->file != NULL) {
		rc = certs_usage_error(o, "unexpected argument '%s'", o->file);
		goto out_opts;
	}
	if (o->dir == NULL || *o->dir == '\0') {
		rc = certs_usage_error(o, "--dir DIR is required: the "
		    "directory to create for the CA, e.g. --dir "
		    "/etc/ftpsgw/ca");
		goto out_opts;
	}
	if (*o->name == '\0' || strlen(o->name) > CA_CN_MAX) {
		rc = certs_usage_error(o, "--name must have 1 to %d bytes",
		    CA_CN_MAX);
		goto out_opts;
	}

	rc = CERTS_EXIT_ERR;
	memset(&spec, 0, sizeof(spec));
	spec.rsa_bits = o->rsa_bits;
	snprintf(spec.curve, sizeof(spec.curve), "%s", CA_EC_CURVE_DEFAULT);
	memset(&req, 0, sizeof(req));
	req.name = o->name;
	req.days = o->days;
	req.permit_dns = o->dns;
	req.n_permit_dns = o->n_dns;
	req.permit_ip = o->ip;
	req.n_permit_ip = o->n_ip;
	ca_file_out_init(&key_out);
	ca_file_out_init(&cert_out);

	if (certs_path(key_path, o->dir, "/", CA_FILE_KEY, &err) == -1 ||
	    certs_path(cert_path, o->dir, "/", CA_FILE_CERT, &err) == -1) {
		certs_fail(o, &err);
		goto out_opts;
	}
	if (ca_file_dir_create(o->dir, &created, &was_mode, &err) == -1) {
		certs_fail(o, &err);
		goto out_opts;
	}
	if (was_mode != 0)
		printf("%s had mode %04o: set to 0700, so that only you may "
		    "enter the directory of the CA's private key\n", o->dir,
		    was_mode);
	if ((key = ca_key_new(&spec, &err)) == NULL) {
		certs_fail(o, &err);
		goto out_dir;
	}
	if ((root = ca_root_new(key, &req, &err)) == NULL) {
		certs_fail(o, &err);
		goto out_key;
	}
	if (ca_file_open(&key_out, key_path, CA_FILE_KEY_MODE, &err) == -1 ||
	    ca_file_write_key(&key_out, key, &err) == -1 ||
	    ca_file_open(&cert_out, cert_path, CA_FILE_CERT_MODE, &err) == -1 ||
	    ca_file_write_certs(&cert_out, &root, 1, 0, &err) == -1 ||
	    ca_file_commit(&key_out, 0, &err) == -1) {
		certs_fail(o, &err);
		goto out_files;
	}
	if (ca_file_commit(&cert_out, 0, &err) == -1) {
		certs_fail(o, &err);
		/* Half a CA is no CA: take back the key placed above. */
		(void)unlink(key_path);
		goto out_files;
	}

	printf("created the CA in %s\n", o->dir);
	printf("  %-22s%s\n", "root certificate:", cert_path);
	printf("  %-22s%s (keep it secret; it never leaves this machine)\n",
	    "private key:", key_path);
	printf("  %-22s%s\n", "key:", ca_key_describe(key, desc,
	    sizeof(desc)));
	if (ca_show_fingerprint(root, EVP_sha256(), fpr) != NULL)
		printf("  %-22s%s\n", "SHA-256 fingerprint:", fpr);
	if (o->n_dns > 0 && o->n_ip == 0)
		printf("  %-22sonly names under the --permit-dns suffixes; no "
		    "IP addresses\n", "may vouch for:");
	else if (o->n_ip > 0 && o->n_dns == 0)
		printf("  %-22sonly addresses in the --permit-ip ranges; no "
		    "DNS names\n", "may vouch for:");
	else if (o->n_ip > 0)
		printf("  %-22sonly the --permit-dns and --permit-ip names\n",
		    "may vouch for:");
	printf("next: " CERTS_PROG " issue --dir %s --dns NAME --out PREFIX\n"
	    "      and have clients import %s (see " CERTS_PROG
	    " export)\n", o->dir, cert_path);
	rc = CERTS_EXIT_OK;
	created = 0;		/* keep the directory */
out_files:
	ca_file_discard(&cert_out);
	ca_file_discard(&key_out);
	X509_free(root);
out_key:
	EVP_PKEY_free(key);
out_dir:
	ca_file_dir_undo(o->dir, created);
out_opts:
	free(o);
out:
	return rc;
}

/* Refuse names the CA's nameConstraints exclude: clients would reject the
 * certificate. Returns 0, or -1 with err naming the name and the fix. */
static int
certs_check_constraints(const struct certs_opts *o, X509 *ca,
    struct ca_err *err)
{
	struct ca_nc *nc;
	enum ca_name_fit fit;
	char ipbuf[CA_IP_TEXT_MAX], line[512];
	const char *bad;
	size_t i;
	int has, rc;

	rc = -1;
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		ca_err_set(err, "out of memory");
		goto out;
	}
	if ((has = ca_nc_get(ca, nc, err)) == -1)
		goto out_nc;
	fit = CA_FIT_OK;
	bad = NULL;
	for (i = 0; has == 1 && fit == CA_FIT_OK && i < o->n_dns; i++)
		if ((fit = ca_name_fit_dns(nc, o->dns[i])) != CA_FIT_OK)
			bad = o->dns[i];
	for (i = 0; has == 1 && fit == CA_FIT_OK && i < o->n_ip; i++)
		if ((fit = ca_name_fit_ip(nc, &o->ip[i])) != CA_FIT_OK)
			bad = ca_name_ip_text(&o->ip[i], ipbuf);
	if (fit != CA_FIT_OK) {
		ca_err_set(err, "refusing to issue for %s: it is %s this CA's "
		    "name constraints (%s), so clients would reject the "
		    "certificate; use a name the CA permits, or create a new "
		    "CA whose --permit-dns/--permit-ip covers it", bad,
		    fit == CA_FIT_EXCLUDED ? "excluded by" : "outside",
		    ca_show_nc(nc, line, sizeof(line)));
		goto out_nc;
	}
	rc = 0;
out_nc:
	free(nc);
out:
	return rc;
}

/* Write the three files of issue. All three are complete on disk before the
 * first takes its name, so a full disk never leaves a key without its
 * certificate. */
static int
certs_issue_write(const struct certs_opts *o, EVP_PKEY *key, X509 *leaf,
    X509 *ca, const char paths[3][PATH_MAX], struct ca_err *err)
{
	struct ca_file_out outs[3];
	X509 *chain[2];
	size_t i;
	int rc;

	rc = -1;
	chain[0] = leaf;
	chain[1] = ca;
	for (i = 0; i < 3; i++)
		ca_file_out_init(&outs[i]);
	if (ca_file_open(&outs[0], paths[0], CA_FILE_KEY_MODE, err) == -1 ||
	    ca_file_write_key(&outs[0], key, err) == -1 ||
	    ca_file_open(&outs[1], paths[1], CA_FILE_CERT_MODE, err) == -1 ||
	    ca_file_write_certs(&outs[1], chain, 1, 0, err) == -1 ||
	    ca_file_open(&outs[2], paths[2], CA_FILE_CERT_MODE, err) == -1 ||
	    ca_file_write_certs(&outs[2], chain, 2, 0, err) == -1)
		goto out;
	for (i = 0; i < 3; i++)
		if (ca_file_commit(&outs[i], o->force, err) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; i < 3; i++)
		ca_file_discard(&outs[i]);
	return rc;
}

static int
certs_issue(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "rsa", required_argument, NULL, OPT_RSA },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const suffix[3] = { ".key", ".pem", ".chain.pem" };
	struct certs_opts *o;
	struct ca_key_spec spec;
	struct ca_leaf_req req;
	struct ca_err err;
	char paths[3][PATH_MAX], fpr[CA_SHOW_FPR_MAX], when[64];
	char ipbuf[CA_IP_TEXT_MAX];
	struct tm tm;
	EVP_PKEY *ca_key, *key;
	X509 *ca, *leaf;
	size_t i;
	int rc, done, clamped;

	rc = CERTS_EXIT_ERR;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		fprintf(stderr, CERTS_PROG ": out of memory\n");
		goto out;
	}
	o->cmd = "issue";
	o->days = CA_LEAF_DAYS;
	if ((rc = certs_parse(o, argc, argv, longopts, certs_usage_issue,
	    &done)) != 0 || done)
		goto out_opts;
	if (o->file != NULL)
		rc = certs_usage_error(o, "unexpected argument '%s'", o->file);
	else if (o->dir == NULL || *o->dir == '\0')
		rc = certs_usage_error(o, "--dir DIR is required: the CA "
		    "directory made by init-ca");
	else if (o->n_dns + o->n_ip == 0)
		rc = certs_usage_error(o, "give at least one --dns NAME or "
		    "--ip ADDR: the names clients use to reach the gateway");
	else if (o->out == NULL || *o->out == '\0')
		rc = certs_usage_error(o, "--out PREFIX is required, e.g. "
		    "--out /etc/ftpsgw/gateway writes gateway.key, "
		    "gateway.pem and gateway.chain.pem there");
	else if (o->out[strlen(o->out) - 1] == '/')
		rc = certs_usage_error(o, "--out PREFIX starts file names, it "
		    "is not a directory: e.g. --out %sgateway", o->out);
	if (rc != 0)
		goto out_opts;

	rc = CERTS_EXIT_ERR;
	for (i = 0; i < 3; i++) {
		if (certs_path(paths[i], o->out, "", suffix[i], &err) == -1) {
			certs_fail(o, &err);
			goto out_opts;
		}
		if (!o->force && ca_file_exists(paths[i])) {
			ca_err_set(&err, "%s already exists; choose another "
			    "--out, or add --force to replace it", paths[i]);
			certs_fail(o, &err);
			goto out_opts;
		}
	}
	if (certs_load_ca(o, &ca, &ca_key, &err) == -1) {
		certs_fail(o, &err);
		goto out_opts;
	}
	if (certs_check_constraints(o, ca, &err) == -1) {
		certs_fail(o, &err);
		goto out_ca;
	}
	if (o->days > CA_LEAF_DAYS_APPLE_MAX)
		certs_warn(o, "%ld days: Apple clients reject server "
		    "certificates valid for more than %d days", o->days,
		    CA_LEAF_DAYS_APPLE_MAX);

	memset(&spec, 0, sizeof(spec));
	if (o->rsa_bits != 0)
		spec.rsa_bits = o->rsa_bits;
	else if (ca_key_spec_of(ca_key, &spec, &err) == -1) {
		certs_fail(o, &err);
		goto out_ca;
	}
	if ((key = ca_key_new(&spec, &err)) == NULL) {
		certs_fail(o, &err);
		goto out_ca;
	}
	memset(&req, 0, sizeof(req));
	req.dns = o->dns;
	req.n_dns = o->n_dns;
	req.ip = o->ip;
	req.n_ip = o->n_ip;
	req.days = o->days;
	if ((leaf = ca_leaf_new(ca, ca_key, key, &req, &clamped, &err)) ==
	    NULL) {
		certs_fail(o, &err);
		goto out_key;
	}
	/* Never hand out a certificate a client would refuse. */
	if (ca_verify(ca, leaf, &err) == -1 ||
	    certs_issue_write(o, key, leaf, ca, paths, &err) == -1) {
		certs_fail(o, &err);
		goto out_leaf;
	}
	if (!ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	if (clamped)
		certs_warn(o, "the CA expires first: the certificate ends "
		    "with it, on %s", when);

	printf("issued a certificate for");
	for (i = 0; i < o->n_dns; i++)
		printf(" %s", o->dns[i]);
	for (i = 0; i < o->n_ip; i++)
		printf(" %s", ca_name_ip_text(&o->ip[i], ipbuf));
	printf("\n  %-22s%s (mode 0600)\n", "private key:", paths[0]);
	printf("  %-22s%s\n", "certificate:", paths[1]);
	printf("  %-22s%s\n", "chain (cert + CA):", paths[2]);
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm) &&
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) != 0)
		printf("  %-22s%s\n", "valid until:", when);
	if (ca_show_fingerprint(leaf, EVP_sha256(), fpr) != NULL)
		printf("  %-22s%s\n", "SHA-256 fingerprint:", fpr);
	printf("in gateway.conf:\n  certificate = %s\n  private_key = %s\n",
	    paths[2], paths[0]);
	rc = CERTS_EXIT_OK;
out_leaf:
	X509_free(leaf);
out_key:
	EVP_PKEY_free(key);
out_ca:
	EVP_PKEY_free(ca_key);
	X509_free(ca);
out_opts:
	free(o);
out:
	return rc;
}

static int
certs_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct certs_opts *o;
	struct ca_err err;
	STACK_OF(X509) *sk;
	BIO *out;
	int rc, done;

	rc = CERTS_EXIT_ERR;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		fprintf(stderr, CERTS_PROG ": out of memory\n");
		goto out;
	}
	o->cmd = "show";
	if ((rc = certs_parse(o, argc, argv, longopts, certs_usage_show,
	    &done)) != 0 || done)
		goto out_opts;
	if (o->file == NULL) {
		rc = certs_usage_error(o, "give the FILE to show, e.g. "
		    CERTS_PROG " show /etc/ftpsgw/gateway.chain.pem");
		goto out_opts;
	}
	rc = CERTS_EXIT_ERR;
	if ((sk = ca_file_load_certs(o->file, &err)) == NULL) {
		certs_fail(o, &err);
		goto out_opts;
	}
	if ((out = BIO_new_fp(stdout, BIO_NOCLOSE)) == NULL) {
		ca_err_ssl(&err, "cannot write to standard output");
		certs_fail(o, &err);
		goto out_sk;
	}
	if (ca_show_chain(out, sk, &err) == -1) {
		certs_fail(o, &err);
		goto out_bio;
	}
	rc = CERTS_EXIT_OK;
out_bio:
	BIO_free(out);
out_sk:
	sk_X509_pop_free(sk, X509_free);
out_opts:
	free(o);
out:
	return rc;
}

static int
certs_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "der", no_argument, NULL, OPT_DER },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct certs_opts *o;
	struct ca_file_out fout;
	struct ca_err err;
	STACK_OF(X509) *sk;
	X509 *ca;
	char cert_path[PATH_MAX], fpr[CA_SHOW_FPR_MAX];
	int rc, done;

	rc = CERTS_EXIT_ERR;
	if ((o = calloc(1, sizeof(*o))) == NULL) {
		fprintf(stderr, CERTS_PROG ": out of memory\n");
		goto out;
	}
	o->cmd = "export";
	if ((rc = certs_parse(o, argc, argv, longopts, certs_usage_export,
	    &done)) != 0 || done)
		goto out_opts;
	if (o->file != NULL)
		rc = certs_usage_error(o, "unexpected argument '%s'", o->file);
	else if (o->dir == NULL || *o->dir == '\0')
		rc = certs_usage_error(o, "--dir DIR is required: the CA "
		    "directory made by init-ca");
	else if (o->out == NULL || *o->out == '\0')
		rc = certs_usage_error(o, "--out FILE is required, e.g. "
		    "--out ftpsgw-root.crt");
	if (rc != 0)
		goto out_opts;

	rc = CERTS_EXIT_ERR;
	ca_file_out_init(&fout);
	if (certs_path(cert_path, o->dir, "/", CA_FILE_CERT, &err) == -1) {
		certs_fail(o, &err);
		goto out_opts;
	}
	if (!ca_file_exists(cert_path)) {
		ca_err_set(&err, "%s holds no CA (no %s); give the --dir made "
		    "by init-ca", o->dir, CA_FILE_CERT);
		certs_fail(o, &err);
		goto out_opts;
	}
	if (!o->force && ca_file_exists(o->out)) {
		ca_err_set(&err, "%s already exists; choose another --out, or "
		    "add --force to replace it", o->out);
		certs_fail(o, &err);
		goto out_opts;
	}
	if ((sk = ca_file_load_certs(cert_path, &err)) == NULL) {
		certs_fail(o, &err);
		goto out_opts;
	}
	ca = sk_X509_value(sk, 0);
	if (ca_file_open(&fout, o->out, CA_FILE_CERT_MODE, &err) == -1 ||
	    ca_file_write_certs(&fout, &ca, 1, o->der, &err) == -1 ||
	    ca_file_commit(&fout, o->force, &err) == -1) {
		certs_fail(o, &err);
		goto out_file;
	}
	printf("wrote the root certificate to %s (%s)\n", o->out,
	    o->der ? "DER" : "PEM");
	if (ca_show_fingerprint(ca, EVP_sha256(), fpr) != NULL)
		printf("  %-22s%s\n", "SHA-256 fingerprint:", fpr);
	if (ca_show_fingerprint(ca, EVP_sha1(), fpr) != NULL)
		printf("  %-22s%s\n", "SHA-1 fingerprint:", fpr);
	printf("compare the fingerprint when a client asks to trust it\n");
	rc = CERTS_EXIT_OK;
out_file:
	ca_file_discard(&fout);
	sk_X509_pop_free(sk, X509_free);
out_opts:
	free(o);
out:
	return rc;
}

static const struct certs_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
} certs_cmds[] = {
	{ "init-ca", certs_init_ca },
	{ "issue", certs_issue },
	{ "show", certs_show },
	{ "export", certs_export },
};

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(certs_usage_main, stderr);
		return CERTS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(certs_usage_main, stdout);
		return CERTS_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf(CERTS_PROG " " FTPSGW_VERSION " (%s)\n",
		    OpenSSL_version(OPENSSL_VERSION));
		return CERTS_EXIT_OK;
	}
	for (i = 0; i < sizeof(certs_cmds) / sizeof(certs_cmds[0]); i++)
		if (strcmp(argv[1], certs_cmds[i].name) == 0)
			return certs_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, CERTS_PROG ": unknown command '%s'; commands are "
	    "init-ca, issue, show and export\nTry '" CERTS_PROG " --help'.\n",
	    argv[1]);
	return CERTS_EXIT_USAGE;
}
