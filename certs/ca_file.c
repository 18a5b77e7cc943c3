/* Reading and writing the certificate tool's files: a CA directory only its
 * owner may enter, keys created 0600 with O_EXCL, certificates, and loading
 * them back. Every write goes through a temporary file and a rename, so an
 * interrupted run never leaves half a key or half a chain under a real name. */
#include "certs/ca_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

/* Suffix of temporary files; mkostemp() replaces the X's. */
#define CA_FILE_TMP_SUFFIX ".tmp-XXXXXX"

void
ca_file_out_init(struct ca_file_out *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
}

int
ca_file_open(struct ca_file_out *out, const char *path, mode_t mode,
    struct ca_err *err)
{
	int n, m;

	ca_file_out_init(out);
	n = snprintf(out->path, sizeof(out->path), "%s", path);
	m = snprintf(out->tmp, sizeof(out->tmp), "%s" CA_FILE_TMP_SUFFIX,
	    path);
	if (n < 0 || (size_t)n >= sizeof(out->path) || m < 0 ||
	    (size_t)m >= sizeof(out->tmp)) {
		ca_err_set(err, "path too long: %s", path);
		out->tmp[0] = '\0';
		goto fail;
	}
	/* O_CREAT | O_EXCL, mode 0600, whatever the umask. */
	if ((out->fd = mkostemp(out->tmp, O_CLOEXEC)) == -1) {
		ca_err_set(err, "cannot create %s: %s", path,
		    strerror(errno));
		out->tmp[0] = '\0';
		goto fail;
	}
	if (fchmod(out->fd, mode) == -1) {
		ca_err_set(err, "cannot set the mode of %s: %s", out->tmp,
		    strerror(errno));
		goto fail_tmp;
	}
	return 0;
fail_tmp:
	ca_file_discard(out);
fail:
	return -1;
}

/* A BIO writing straight to out's fd: no buffer of ours holds key bytes. */
static BIO *
ca_file_bio(struct ca_file_out *out, struct ca_err *err)
{
	BIO *b;

	ERR_clear_error();
	if ((b = BIO_new_fd(out->fd, BIO_NOCLOSE)) == NULL)
		ca_err_ssl(err, "cannot write %s", out->path);
	return b;
}

int
ca_file_write_key(struct ca_file_out *out, EVP_PKEY *key, struct ca_err *err)
{
	BIO *b;
	int rc;

	rc = -1;
	if ((b = ca_file_bio(out, err)) == NULL)
		goto out;
	if (!PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) ||
	    BIO_flush(b) != 1) {
		ca_err_ssl(err, "cannot write the private key to %s",
		    out->path);
		goto out_bio;
	}
	rc = 0;
out_bio:
	BIO_free(b);
out:
	return rc;
}

int
ca_file_write_certs(struct ca_file_out *out, X509 *const *certs, size_t n,
    int der, struct ca_err *err)
{
	BIO *b;
	size_t i;
	int rc;

	rc = -1;
	if ((b = ca_file_bio(out, err)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (der ? !i2d_X509_bio(b, certs[i]) :
		    !PEM_write_bio_X509(b, certs[i])) {
			ca_err_ssl(err, "cannot write a certificate to %s",
			    out->path);
			goto out_bio;
		}
	}
	if (BIO_flush(b) != 1) {
		ca_err_ssl(err, "cannot write %s", out->path);
		goto out_bio;
	}
	rc = 0;
out_bio:
	BIO_free(b);
out:
	return rc;
}

int
ca_file_commit(struct ca_file_out *out, int replace, struct ca_err *err)
{
	int fd, rc;

	/* fsync, then close: either may be where a full disk shows. */
	fd = out->fd;
	out->fd = -1;
	rc = fsync(fd);
	if (close(fd) == -1)
		rc = -1;
	if (rc == -1) {
		ca_err_set(err, "cannot write %s: %s", out->path,
		    strerror(errno));
		return -1;
	}
	if (replace) {
		rc = rename(out->tmp, out->path);
	} else {
		rc = renameat2(AT_FDCWD, out->tmp, AT_FDCWD, out->path,
		    RENAME_NOREPLACE);
		/* Filesystems without RENAME_NOREPLACE: link() also fails
		 * with EEXIST rather than replace. */
		if (rc == -1 && (errno == EINVAL || errno == ENOSYS)) {
			rc = link(out->tmp, out->path);
			if (rc == 0)
				(void)unlink(out->tmp);
		}
	}
	if (rc == -1) {
		if (errno == EEXIST)
			ca_err_set(err, "%s appeared while it was being "
			    "written; it was left as it is", out->path);
		else
			ca_err_set(err, "cannot create %s: %s", out->path,
			    strerror(errno));
		return -1;
	}
	out->tmp[0] = '\0';
	return 0;
}

void
ca_file_discard(struct ca_file_out *out)
{
	if (out->fd != -1) {
		(void)close(out->fd);
		out->fd = -1;
	}
	if (out->tmp[0] != '\0') {
		(void)unlink(out->tmp);
		out->tmp[0] = '\0';
	}
}

/* Does dir/name exist? */
static int
ca_file_in_dir(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	return n > 0 && (size_t)n < sizeof(path) && ca_file_exists(path);
}

/*
 * Make dir, which stat gave as *st (group or others may enter it), the
 * owner's alone, if it is what `mkdir DIR` leaves under the usual umask:
 * an empty directory of the caller's, not a symbolic link. Tightened
 * first and found empty after, so nothing another user put in before the
 * chmod stays: a directory that is not empty gets its mode back. Returns
 * 1 when tightened, 0 when dir is not such a directory (unchanged), -1
 * with err when its mode could not be set.
 */
static int
ca_file_dir_tighten(const char *dir, const struct stat *st,
    struct ca_err *err)
{
	struct stat now;
	struct dirent *e;
	int fd, empty = 1;
	DIR *d;

	if (st->st_uid != geteuid())
		return 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;	/* a symbolic link, or gone */
	if (fstat(fd, &now) == -1 || now.st_dev != st->st_dev ||
	    now.st_ino != st->st_ino || now.st_uid != geteuid()) {
		(void)close(fd);
		return 0;	/* replaced since stat */
	}
	if (fchmod(fd, CA_FILE_DIR_MODE) == -1) {
		ca_err_set(err, "cannot set the mode of %s to 0700: %s", dir,
		    strerror(errno));
		(void)close(fd);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		(void)fchmod(fd, now.st_mode & 07777);
		(void)close(fd);
		return 0;
	}
	while (empty && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	if (!empty)
		(void)fchmod(dirfd(d), now.st_mode & 07777);
	(void)closedir(d);
	return empty;
}

int
ca_file_dir_create(const char *dir, int *created, unsigned *was_mode,
    struct ca_err *err)
{
	struct stat st;
	int t;

	*created = 0;
	*was_mode = 0;
	if (mkdir(dir, CA_FILE_DIR_MODE) == 0) {
		*created = 1;
		/* The umask may have taken bits away; set exactly 0700. */
		if (chmod(dir, CA_FILE_DIR_MODE) == -1) {
			ca_err_set(err, "cannot set the mode of %s: %s", dir,
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (errno == ENOENT) {
		ca_err_set(err, "cannot create %s: its parent directory does "
		    "not exist; create the parent first (mkdir -p)", dir);
		return -1;
	}
	if (errno != EEXIST) {
		ca_err_set(err, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
		ca_err_set(err, "%s exists and is not a directory; choose "
		    "another --dir", dir);
		return -1;
	}
	/* Clients may already trust that root: never replace it. */
	if (ca_file_in_dir(dir, CA_FILE_KEY) ||
	    ca_file_in_dir(dir, CA_FILE_CERT)) {
		ca_err_set(err, "%s already holds a CA (" CA_FILE_CERT " or "
		    CA_FILE_KEY "), which is never overwritten because "
		    "clients may trust it; choose another --dir, or move the "
		    "old one away first", dir);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		t = ca_file_dir_tighten(dir, &st, err);
		if (t == 1) {
			*was_mode = (unsigned int)(st.st_mode & 07777);
			return 0;
		}
		if (t == 0)
			ca_err_set(err, "%s may be entered by group or others "
			    "(mode %04o) and is not an empty directory of "
			    "yours; run chmod 700 %s, or give a --dir that does "
			    "not exist yet", dir,
			    (unsigned int)(st.st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

void
ca_file_dir_undo(const char *dir, int created)
{
	if (created)
		(void)rmdir(dir);
}

int
ca_file_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Never prompt for a passphrase: the tool runs from scripts too. */
static int
ca_file_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *
ca_file_load_key(const char *path, int *loose, struct ca_err *err)
{
	struct stat st;
	EVP_PKEY *key;
	BIO *b;
	int fd;

	key = NULL;
	*loose = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ca_err_set(err, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		ca_err_set(err, "%s is not a regular file", path);
		goto out_fd;
	}
	*loose = (st.st_mode & 077) != 0;
	ERR_clear_error();
	/* Straight from the fd: the PEM text never sits in a buffer of ours. */
	if ((b = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
		ca_err_ssl(err, "cannot read %s", path);
		goto out_fd;
	}
	key = PEM_read_bio_PrivateKey(b, NULL, ca_file_no_passphrase, NULL);
	if (key == NULL)
		ca_err_ssl(err, "%s holds no usable private key (it must be "
		    "an unencrypted PEM key)", path);
	BIO_free(b);
out_fd:
	close(fd);
out:
	return key;
}

/* PEM certificates from mem into sk; with no PEM one, a DER certificate
 * filling all of buf. Returns 0, or -1 with err set. */
static int
ca_file_parse_certs(const char *path, const unsigned char *buf, size_t len,
    BIO *mem, STACK_OF(X509) *sk, struct ca_err *err)
{
	const unsigned char *p;
	unsigned long e;
	X509 *x;

	ERR_clear_error();
	while ((x = PEM_read_bio_X509(mem, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(sk, x) == 0) {
			X509_free(x);
			ca_err_ssl(err, "cannot read %s", path);
			return -1;
		}
	}
	/* PEM reading ends with "no start line" at the end of the input;
	 * any other reason is a damaged certificate. */
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		ca_err_ssl(err, "certificate %d in %s does not parse",
		    sk_X509_num(sk) + 1, path);
		return -1;
	}
	ERR_clear_error();
	if (sk_X509_num(sk) > 0)
		return 0;

	p = buf;
	x = d2i_X509(NULL, &p, (long)len);
	if (x == NULL || p != buf + len) {
		X509_free(x);
		ca_err_set(err, "%s holds no certificate (expected PEM "
		    "\"BEGIN CERTIFICATE\" blocks or one DER certificate)",
		    path);
		return -1;
	}
	if (sk_X509_push(sk, x) == 0) {
		X509_free(x);
		ca_err_ssl(err, "cannot read %s", path);
		return -1;
	}
	return 0;
}

STACK_OF(X509) *
ca_file_load_certs(const char *path, struct ca_err *err)
{
	STACK_OF(X509) *sk;
	BIO *mem;
	unsigned char *buf;
	ssize_t n;
	size_t len;
	int fd;

	sk = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ca_err_set(err, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if ((buf = malloc(CA_FILE_CERTS_MAX_BYTES)) == NULL) {
		ca_err_set(err, "out of memory reading %s", path);
		goto out_fd;
	}
	len = 0;
	do {
		n = read(fd, buf + len, CA_FILE_CERTS_MAX_BYTES - len);
		if (n > 0)
			len += (size_t)n;
	} while ((n > 0 && len < CA_FILE_CERTS_MAX_BYTES) ||
	    (n == -1 && errno == EINTR));
	if (n == -1) {
		ca_err_set(err, "cannot read %s: %s", path, strerror(errno));
		goto out_buf;
	}
	if (len == CA_FILE_CERTS_MAX_BYTES) {
		ca_err_set(err, "%s is larger than %zu bytes; is it really a "
		    "certificate file?", path, CA_FILE_CERTS_MAX_BYTES);
		goto out_buf;
	}
	ERR_clear_error();
	if ((mem = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		ca_err_ssl(err, "cannot read %s", path);
		goto out_buf;
	}
	if ((sk = sk_X509_new_null()) == NULL) {
		ca_err_ssl(err, "cannot read %s", path);
		goto out_mem;
	}
	if (ca_file_parse_certs(path, buf, len, mem, sk, err) == -1) {
		sk_X509_pop_free(sk, X509_free);
		sk = NULL;
	}
out_mem:
	BIO_free(mem);
out_buf:
	/* Users may point show at a key by mistake: wipe what was read. */
	OPENSSL_cleanse(buf, len);
	free(buf);
out_fd:
	close(fd);
out:
	return sk;
}
