/* FTP reply codes used by ftpsgw (RFC 959, RFC 2228, RFC 2428, RFC 4217). */
#ifndef FTPSGW_PROXY_FTP_CODES_H
#define FTPSGW_PROXY_FTP_CODES_H

#define FTP_COMMAND_OK          200
#define FTP_FEAT_OK             211
#define FTP_GREETING            220
#define FTP_GOODBYE             221
#define FTP_TRANSFER_OK         226
#define FTP_PASV_OK             227
#define FTP_EPSV_OK             229
#define FTP_AUTH_OK             234
#define FTP_LOGIN_OK            230
#define FTP_LOGIN_OK_SEC        232	/* logged in, authorized by security data */
#define FTP_SERVICE_UNAVAIL     421
#define FTP_DATACONN_FAILED     425
#define FTP_TRANSFER_ABORTED    426
#define FTP_LOCAL_ERROR         451
#define FTP_SYNTAX_ERROR        500
#define FTP_ARG_SYNTAX_ERROR    501
#define FTP_NOT_IMPLEMENTED     502
#define FTP_BAD_SEQUENCE        503
#define FTP_PARAM_NOT_IMPL      504
#define FTP_PROTO_NOT_SUPPORTED 522
#define FTP_NOT_LOGGED_IN       530
#define FTP_TLS_REQUIRED        521  /* vsftpd's "data connections must be encrypted" */
#define FTP_CCC_DENIED          533
#define FTP_POLICY_DENIED       534
#define FTP_PROT_NOT_SUPPORTED  536

/* A code above as a string literal, "211" for FTP_FEAT_OK, so fixed reply
 * lines are built at compile time: FTP_CODE_STR(FTP_FEAT_OK) " End". */
#define FTP_CODE_STR(code)	FTP_CODE_STR_(code)
#define FTP_CODE_STR_(code)	#code

#endif
