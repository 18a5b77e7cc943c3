/* FUZZ_CHECK: the fuzz targets' assertion. abort() so libFuzzer records
 * the input; assert() may be compiled out. */
#ifndef FTPSGW_TESTS_FUZZ_CHECK_H
#define FTPSGW_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(c)							\
	do {								\
		if (!(c)) {						\
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",	\
			    __FILE__, __LINE__, #c);			\
			abort();					\
		}							\
	} while (0)

#endif
