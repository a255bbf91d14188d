/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture files (docs/capture-format.md): `kscope record` writes one chunk
 * per interval holding that interval's struct ks_model (counters,
 * histograms, symbolized stacks), zlib-compressed with a crc32 each, synced
 * as it goes. Every view reads them back through the reader, which yields
 * the same model a live run gives.
 *
 * The reader trusts nothing: every length is capped by what is left of the
 * chunk or file and by fixed limits; a bad chunk is an error, a truncated
 * tail is the end of the capture (ks_capture_reader__truncated() says so).
 */
#ifndef KS_CAPTURE_H
#define KS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ks_model.h"

#define KS_CAPTURE_MAGIC	"KSCAPT\r\n"	/* 8 bytes */
#define KS_CAPTURE_VERSION	2	/* written; 1 and 2 are read */
#define KS_CAPTURE_MAX_CHUNK	(64u << 20)	/* compressed or not */

enum ks_capture_chunk_type {
	KS_CHUNK_META = 1,		/* key/value run metadata, first chunk */
	KS_CHUNK_INTERVAL = 2,		/* one interval's model */
	KS_CHUNK_END = 3,		/* clean end of the capture */
};

/* Run metadata (the META chunk). Strings are always NUL-terminated. */
struct ks_capture_meta {
	char version[32];		/* kscope version that wrote it */
	char host[128];
	char kernel[128];		/* uname -r and -v */
	int ncpus;
	double start_wall;		/* time(2) of the start */
	double interval_s;		/* -i */
	char collectors[128];		/* "profile,offcpu,runqlat" */
	char options[512];		/* the command line */
	unsigned int format_version;	/* of the file read */
};

struct ks_capture_writer_opts {
	size_t sz;			/* sizeof(struct ks_capture_writer_opts) */
	const char *collectors;
	const char *options;
	double interval_s;
	unsigned int mode;		/* file mode, default 0600 */
	bool no_sync;			/* skip fdatasync per chunk (tests) */
	int level;			/* zlib level, default 6 */
};

struct ks_capture_writer;
/* Create @path and write the META chunk. NULL + errno (message printed). */
struct ks_capture_writer *ks_capture_writer__open(const char *path,
						  const struct ks_capture_writer_opts *o);
/* Append one interval (compressed, checksummed, synced). 0 or -errno. */
int ks_capture_writer__write(struct ks_capture_writer *w, const struct ks_model *m);
/* Bytes written so far. */
uint64_t ks_capture_writer__bytes(const struct ks_capture_writer *w);
/* Write the END chunk (when @complete), sync, close, free. 0 or -errno. */
int ks_capture_writer__close(struct ks_capture_writer *w, bool complete);

struct ks_capture_reader;
/* Open and check the header and META chunk. NULL + errno; no message. */
struct ks_capture_reader *ks_capture_reader__open(const char *path);
struct ks_capture_reader *ks_capture_reader__open_mem(const void *buf, size_t len);
/* Why the last __open() failed, one line. */
const char *ks_capture_strerror(void);
const struct ks_capture_meta *ks_capture_reader__meta(const struct ks_capture_reader *r);
/*
 * Read the next interval into @m (reset first; its profiles replaced).
 * 1: an interval was read; 0: end of capture (clean, or truncated: see
 * below); -EBADMSG / -E2BIG / -ENOMEM / -EIO: error (see __error()).
 */
int ks_capture_reader__next(struct ks_capture_reader *r, struct ks_model *m);
/*
 * Positions to come back to (top -i steps back): where the reader stands,
 * before its next chunk, and how much of the capture's dictionary it had.
 */
struct ks_capture_pos {
	uint64_t off;
	unsigned int chunk;
	size_t nstrs, nframes;
};
void ks_capture_reader__tell(const struct ks_capture_reader *r, struct ks_capture_pos *pos);
/*
 * Go back to a position __tell() gave on this reader; reading goes on in
 * order from there (a position beyond the dictionary read so far is
 * -EINVAL: read forward to it instead). 0 or -errno.
 */
int ks_capture_reader__seek(struct ks_capture_reader *r, const struct ks_capture_pos *pos);
/* True when the file ended inside a chunk or without an END chunk. */
bool ks_capture_reader__truncated(const struct ks_capture_reader *r);
/* Chunks of unknown type skipped so far. */
unsigned int ks_capture_reader__skipped(const struct ks_capture_reader *r);
/* The last error or warning, one line ("chunk 3 at offset 812: bad crc32"). */
const char *ks_capture_reader__error(const struct ks_capture_reader *r);
void ks_capture_reader__free(struct ks_capture_reader *r);

/*
 * Read a whole capture into one model: intervals whose start lies within
 * [from, to] seconds after the first interval (to < 0: no end) merged
 * (counters and histograms summed, stacks merged). Prints errors and the
 * truncation warning. Returns the number of intervals merged, or -errno.
 */
int ks_capture_load(const char *path, double from, double to, struct ks_model *out,
		    struct ks_capture_meta *meta);
/* Add @src into @dst (the merge ks_capture_load uses). 0 or -ENOMEM. */
int ks_model_merge(struct ks_model *dst, const struct ks_model *src);

#endif /* KS_CAPTURE_H */
