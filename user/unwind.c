// SPDX-License-Identifier: GPL-2.0
/*
 * DWARF CFI unwinder for copied user stacks (x86_64).
 *
 * Why unwind in user space from a copied stack (perf --call-graph dwarf)
 * rather than in BPF from pre-digested unwind tables (opentelemetry-ebpf-
 * profiler): see docs/unwinding.md for the argument and the measurements. In
 * short: the BPF side stays a fixed-cost copy (regs + 8 KiB), the unwinder is
 * ordinary testable C that reads .eh_frame as the toolchain wrote it (any
 * expression, any encoding, no table conversion per binary, no map memory
 * per process), and its cost is paid only for the samples we keep.
 *
 * Layout of this file: byte readers with bounds checks; pointer encodings;
 * CIE/FDE parsing (.eh_frame and .debug_frame); FDE lookup (.eh_frame_hdr
 * binary search table, else our own sorted index built on first use); the
 * CFA program interpreter and a small DWARF expression evaluator; the walk.
 * Every read of section data or of the stack copy is bounds-checked: bad
 * input ends a lookup or a walk, never the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ks_unwind.h"

/* x86_64 DWARF register numbers (psABI figure 3.36) */
#define REG_RBP		6
#define REG_RSP		7
#define REG_RA		16	/* return address column (rip) */
#define NREGS		17

#define MAX_STATE	8	/* DW_CFA_remember_state depth */
#define MAX_EXPR_STACK	16
#define MAX_EXPR_STEPS	256
#define MAX_CFA_INSNS	4096
#define CACHE_DEFAULT	128	/* CFI rows cached per module (160 B each) */

/* DW_EH_PE_* pointer encodings */
#define PE_ABSPTR	0x00
#define PE_ULEB128	0x01
#define PE_UDATA2	0x02
#define PE_UDATA4	0x03
#define PE_UDATA8	0x04
#define PE_SLEB128	0x09
#define PE_SDATA2	0x0a
#define PE_SDATA4	0x0b
#define PE_SDATA8	0x0c
#define PE_PCREL	0x10
#define PE_TEXTREL	0x20
#define PE_DATAREL	0x30
#define PE_FUNCREL	0x40
#define PE_ALIGNED	0x50
#define PE_INDIRECT	0x80
#define PE_OMIT		0xff

/* ---- bounded byte reader ---- */

struct cur {
	const uint8_t *p, *end;
	bool err;
};

static bool cur_need(struct cur *c, size_t n)
{
	if (c->err || (size_t)(c->end - c->p) < n) {
		c->err = true;
		return false;
	}
	return true;
}

static uint64_t rd_u(struct cur *c, size_t n)
{
	uint64_t v = 0;

	if (!cur_need(c, n))
		return 0;
	for (size_t i = 0; i < n; i++)	/* little endian */
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static int64_t rd_s(struct cur *c, size_t n)
{
	uint64_t v = rd_u(c, n);

	if (n < 8 && (v >> (8 * n - 1)) & 1)
		v |= ~0ULL << (8 * n);
	return (int64_t)v;
}

static uint64_t rd_uleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (!cur_need(c, 1))
			return 0;
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	return v;
}

static int64_t rd_sleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (!cur_need(c, 1))
			return 0;
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~0ULL << shift;
	return (int64_t)v;
}

/* ---- sections ---- */

struct sec {
	const uint8_t *data;
	size_t size;
	uint64_t vaddr;		/* sh_addr: base for pcrel */
};

/* One FDE in our own index: 16 bytes */
struct fde_ent {
	uint64_t pc;
	uint32_t range;
	uint32_t off;		/* FDE offset in its section */
};

struct fde_index {
	struct fde_ent *ents;
	size_t n;
	bool built;
};

enum { RULE_SAME = 0, RULE_UNDEF, RULE_OFFSET, RULE_VAL_OFFSET, RULE_REG, RULE_EXPR,
       RULE_VAL_EXPR };
enum { CFA_REG = 0, CFA_EXPR };

/*
 * Rows are compact (8 bytes a rule) so that they can be cached per module:
 * an expression is kept as the offset, in its section, of its
 * length-prefixed block.
 */
struct rule {
	uint8_t kind;
	int32_t off;		/* offset; register for RULE_REG; block for *_EXPR */
};

struct row {
	const struct sec *sec;	/* where expression blocks are; NULL: empty cache slot */
	uint64_t pc;		/* cache key */
	uint8_t cfa_kind;
	uint8_t cfa_reg;
	bool signal;
	int32_t cfa_off;	/* offset, or expression block for CFA_EXPR */
	uint32_t set;		/* registers whose rule is not "same value" */
	struct rule r[NREGS];
};

struct ks_cfi {
	Elf *elf;		/* not owned unless fd >= 0 */
	int fd;
	Elf_Scn *eh_scn, *hdr_scn, *dbg_scn;
	bool loaded;		/* section data fetched */
	bool bad;		/* section data unusable */
	struct sec eh, hdr, dbg;
	uint64_t text_vaddr, got_vaddr;	/* textrel/datarel bases in .eh_frame */
	/* .eh_frame_hdr search table, if usable */
	const uint8_t *table;
	size_t table_n;
	struct fde_index eh_idx, dbg_idx;
	struct row *cache;	/* direct-mapped, by pc; allocated on first use */
	unsigned int cache_n;
	bool cache_failed;
	uint64_t hits, misses;
	void *owned[3];		/* copies: from_data sections, debug_frame */
	size_t heap;
};

/* Encoded pointer reader; @sec gives the pcrel base, @datarel the datarel one. */
static int rd_enc(struct cur *c, uint8_t enc, const struct sec *sec, uint64_t datarel,
		  uint64_t textrel, uint64_t *out, bool *indirect)
{
	uint64_t field = sec->vaddr + (uint64_t)(c->p - sec->data);
	uint64_t v;

	if (enc == PE_OMIT)
		return -EINVAL;
	if ((enc & 0x70) == PE_ALIGNED) {
		size_t pad = (8 - (field & 7)) & 7;

		if (!cur_need(c, pad))
			return -EINVAL;
		c->p += pad;
		field += pad;
	}
	switch (enc & 0x0f) {
	case PE_ABSPTR:
	case PE_UDATA8:	v = rd_u(c, 8); break;
	case PE_ULEB128: v = rd_uleb(c); break;
	case PE_UDATA2:	v = rd_u(c, 2); break;
	case PE_UDATA4:	v = rd_u(c, 4); break;
	case PE_SLEB128: v = (uint64_t)rd_sleb(c); break;
	case PE_SDATA2:	v = (uint64_t)rd_s(c, 2); break;
	case PE_SDATA4:	v = (uint64_t)rd_s(c, 4); break;
	case PE_SDATA8:	v = rd_u(c, 8); break;
	default:
		return -EINVAL;
	}
	if (c->err)
		return -EINVAL;
	switch (enc & 0x70) {
	case 0:
	case PE_ALIGNED:
		break;
	case PE_PCREL:	v += field; break;
	case PE_DATAREL: v += datarel; break;
	case PE_TEXTREL: v += textrel; break;
	case PE_FUNCREL: break;	/* only for LSDA, whose value we skip */
	default:
		return -EINVAL;
	}
	if (indirect)
		*indirect = enc & PE_INDIRECT;
	*out = v;
	return 0;
}

/* The value size of an encoding, for pc_range (format only, no base) */
static int rd_enc_value(struct cur *c, uint8_t enc, uint64_t *out)
{
	struct sec none = { .data = c->p, .vaddr = 0 };

	return rd_enc(c, enc & 0x0f, &none, 0, 0, out, NULL);
}

/* ---- CIE / FDE ---- */

struct cie {
	uint64_t code_align;
	int64_t data_align;
	unsigned int ra_reg;
	uint8_t fde_enc;
	bool aug_z;
	bool signal;
	const uint8_t *insns, *insns_end;
};

struct fde {
	uint64_t pc, range;
	const uint8_t *insns, *insns_end;
};

/* Entry header: length (32 or 64-bit DWARF) and the id/CIE-pointer field. */
static int rd_entry(const struct sec *s, uint64_t off, bool eh, struct cur *body,
		    uint64_t *id, uint64_t *id_off, uint64_t *next)
{
	struct cur c = { s->data + off, s->data + s->size, false };
	uint64_t len;
	bool dw64 = false;

	if (off >= s->size)
		return -EINVAL;
	len = rd_u(&c, 4);
	if (len == 0xffffffff) {
		len = rd_u(&c, 8);
		dw64 = true;
	}
	if (c.err)
		return -EINVAL;
	if (len == 0)
		return -ENOENT;	/* terminator */
	if (len > (uint64_t)(c.end - c.p))
		return -EINVAL;
	*next = (uint64_t)(c.p - s->data) + len;
	c.end = c.p + len;
	*id_off = (uint64_t)(c.p - s->data);
	if (eh || !dw64)
		*id = rd_u(&c, 4);
	else
		*id = rd_u(&c, 8);
	if (!eh && !dw64 && *id == 0xffffffff)
		*id = ~0ULL;	/* .debug_frame CIE id, normalized */
	if (c.err)
		return -EINVAL;
	*body = c;
	return 0;
}

static bool is_cie(uint64_t id, bool eh)
{
	return eh ? id == 0 : id == ~0ULL;
}

static int parse_cie(const struct sec *s, uint64_t off, bool eh, struct cie *cie)
{
	struct cur c, aug;
	uint64_t id, id_off, next, v;
	const char *augstr;
	size_t alen;
	uint8_t ver;

	if (rd_entry(s, off, eh, &c, &id, &id_off, &next) || !is_cie(id, eh))
		return -EINVAL;
	memset(cie, 0, sizeof(*cie));
	ver = rd_u(&c, 1);
	if (eh ? (ver != 1 && ver != 3) : (ver != 1 && ver != 3 && ver != 4))
		return -EINVAL;
	augstr = (const char *)c.p;
	alen = strnlen(augstr, (size_t)(c.end - c.p));
	if (!cur_need(&c, alen + 1))
		return -EINVAL;
	c.p += alen + 1;
	if (ver == 4) {
		uint8_t asz = rd_u(&c, 1), ssz = rd_u(&c, 1);

		if (asz != 8 || ssz != 0)
			return -EINVAL;
	}
	cie->code_align = rd_uleb(&c);
	cie->data_align = rd_sleb(&c);
	cie->ra_reg = ver == 1 ? rd_u(&c, 1) : rd_uleb(&c);
	cie->fde_enc = PE_ABSPTR;	/* .debug_frame: target address size */
	if (alen && augstr[0] == 'z') {
		uint64_t zlen = rd_uleb(&c);

		if (c.err || zlen > (uint64_t)(c.end - c.p))
			return -EINVAL;
		aug = (struct cur){ c.p, c.p + zlen, false };
		c.p += zlen;
		cie->aug_z = true;
		for (size_t i = 1; i < alen; i++) {
			uint8_t enc;

			switch (augstr[i]) {
			case 'R':
				cie->fde_enc = rd_u(&aug, 1);
				break;
			case 'L':
				rd_u(&aug, 1);	/* LSDA encoding: FDE aug data skipped by length */
				break;
			case 'P':
				enc = rd_u(&aug, 1);
				if (aug.err || rd_enc(&aug, enc & 0x7f, s, 0, 0, &v, NULL))
					return -EINVAL;
				break;
			case 'S':
				cie->signal = true;
				break;
			case 'B':	/* arm64 BTI / MTE tags: nothing to do */
			case 'G':
				break;
			default:	/* unknown: the rest is skipped by zlen */
				i = alen;
				break;
			}
			if (aug.err)
				return -EINVAL;
		}
	} else if (alen) {
		return -EINVAL;	/* pre-"z" augmentations ("eh"): unsupported */
	}
	if (c.err || cie->code_align == 0)
		return -EINVAL;
	cie->insns = c.p;
	cie->insns_end = c.end;
	return 0;
}

/* Parse the FDE at @off; @cie receives its CIE. */
static int parse_fde(const struct ks_cfi *cfi, const struct sec *s, uint64_t off, bool eh,
		     struct fde *fde, struct cie *cie)
{
	struct cur c;
	uint64_t id, id_off, next, cie_off;
	bool ind = false;

	if (rd_entry(s, off, eh, &c, &id, &id_off, &next) || is_cie(id, eh))
		return -EINVAL;
	if (eh) {
		if (id > id_off)
			return -EINVAL;
		cie_off = id_off - id;
	} else {
		cie_off = id;
	}
	if (cie_off == off || parse_cie(s, cie_off, eh, cie))
		return -EINVAL;
	if (rd_enc(&c, cie->fde_enc, s, cfi->got_vaddr, cfi->text_vaddr, &fde->pc, &ind) ||
	    ind || rd_enc_value(&c, cie->fde_enc, &fde->range))
		return -EINVAL;
	if (cie->aug_z) {
		uint64_t zlen = rd_uleb(&c);

		if (c.err || zlen > (uint64_t)(c.end - c.p))
			return -EINVAL;
		c.p += zlen;
	}
	fde->insns = c.p;
	fde->insns_end = c.end;
	return 0;
}

/* ---- loading ---- */

static int sec_from_scn(Elf_Scn *scn, struct sec *s)
{
	Elf_Data *d;
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return -EINVAL;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || d->d_size == 0)
		return -EINVAL;
	s->data = d->d_buf;
	s->size = d->d_size;
	s->vaddr = sh.sh_addr;
	return 0;
}

/* Use .eh_frame_hdr's table if it is the usual datarel|sdata4 one. */
static void setup_hdr_table(struct ks_cfi *cfi)
{
	struct cur c = { cfi->hdr.data, cfi->hdr.data + cfi->hdr.size, false };
	uint8_t ver, ptr_enc, cnt_enc, tab_enc;
	uint64_t v, n;

	ver = rd_u(&c, 1);
	ptr_enc = rd_u(&c, 1);
	cnt_enc = rd_u(&c, 1);
	tab_enc = rd_u(&c, 1);
	if (c.err || ver != 1 || ptr_enc == PE_OMIT || cnt_enc == PE_OMIT || tab_enc != 0x3b)
		return;
	if (rd_enc(&c, ptr_enc, &cfi->hdr, cfi->hdr.vaddr, 0, &v, NULL) ||
	    rd_enc(&c, cnt_enc, &cfi->hdr, cfi->hdr.vaddr, 0, &n, NULL))
		return;
	if (n == 0 || n > (uint64_t)(c.end - c.p) / 8)
		return;
	cfi->table = c.p;
	cfi->table_n = n;
}

static int copy_debug_frame(struct ks_cfi *cfi, Elf *elf, Elf_Scn *scn);

static int cfi_ensure(struct ks_cfi *cfi)
{
	if (cfi->loaded)
		return cfi->bad ? -EINVAL : 0;
	cfi->loaded = true;
	if (cfi->eh_scn && sec_from_scn(cfi->eh_scn, &cfi->eh))
		cfi->eh_scn = NULL;
	if (cfi->hdr_scn && cfi->eh_scn && !sec_from_scn(cfi->hdr_scn, &cfi->hdr))
		setup_hdr_table(cfi);
	if (cfi->dbg_scn && !cfi->dbg.data)
		copy_debug_frame(cfi, cfi->elf, cfi->dbg_scn);
	if (!cfi->eh.data && !cfi->dbg.data)
		cfi->bad = true;
	return cfi->bad ? -EINVAL : 0;
}

static struct ks_cfi *cfi_new(void)
{
	struct ks_cfi *cfi = calloc(1, sizeof(*cfi));

	if (!cfi)
		return NULL;
	cfi->fd = -1;
	cfi->heap = sizeof(*cfi);
	cfi->cache_n = CACHE_DEFAULT;
	return cfi;
}

struct ks_cfi *ks_cfi__load(Elf *elf)
{
	struct ks_cfi *cfi;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	size_t shstrndx;

	if (!elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx)) {
		errno = EINVAL;
		return NULL;
	}
	if (eh.e_machine != EM_X86_64 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		errno = ENOTSUP;
		return NULL;
	}
	cfi = cfi_new();
	if (!cfi)
		return NULL;
	cfi->elf = elf;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_size == 0)
			continue;	/* debug files keep .eh_frame as NOBITS */
		if (!strcmp(name, ".eh_frame"))
			cfi->eh_scn = scn;
		else if (!strcmp(name, ".eh_frame_hdr"))
			cfi->hdr_scn = scn;
		else if (!strcmp(name, ".debug_frame") || !strcmp(name, ".zdebug_frame"))
			cfi->dbg_scn = scn;
		else if (!strcmp(name, ".text"))
			cfi->text_vaddr = sh.sh_addr;
		else if (!strcmp(name, ".got"))
			cfi->got_vaddr = sh.sh_addr;
	}
	if (!cfi->eh_scn && !cfi->dbg_scn) {
		free(cfi);
		errno = ENOENT;
		return NULL;
	}
	return cfi;
}

struct ks_cfi *ks_cfi__open(const char *path)
{
	struct ks_cfi *cfi;
	Elf *elf;
	int fd, err;

	elf_version(EV_CURRENT);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	cfi = ks_cfi__load(elf);
	if (!cfi) {
		err = errno;
		elf_end(elf);
		close(fd);
		errno = err;
		return NULL;
	}
	cfi->fd = fd;
	return cfi;
}

static void *dup_bytes(struct ks_cfi *cfi, int slot, const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (!q)
		return NULL;
	memcpy(q, p, n);
	free(cfi->owned[slot]);
	cfi->owned[slot] = q;
	cfi->heap += n;
	return q;
}

struct ks_cfi *ks_cfi__from_data(const void *eh_frame, size_t eh_len, uint64_t eh_vaddr,
				 const void *hdr, size_t hdr_len, uint64_t hdr_vaddr)
{
	struct ks_cfi *cfi;

	if (!eh_frame || !eh_len) {
		errno = EINVAL;
		return NULL;
	}
	cfi = cfi_new();
	if (!cfi)
		return NULL;
	cfi->loaded = true;
	cfi->eh.data = dup_bytes(cfi, 0, eh_frame, eh_len);
	cfi->eh.size = eh_len;
	cfi->eh.vaddr = eh_vaddr;
	if (hdr && hdr_len) {
		cfi->hdr.data = dup_bytes(cfi, 1, hdr, hdr_len);
		cfi->hdr.size = hdr_len;
		cfi->hdr.vaddr = hdr_vaddr;
	}
	if (!cfi->eh.data || (hdr && hdr_len && !cfi->hdr.data)) {
		ks_cfi__free(cfi);
		errno = ENOMEM;
		return NULL;
	}
	if (cfi->hdr.data)
		setup_hdr_table(cfi);
	return cfi;
}

/*
 * Take .debug_frame (or GNU .zdebug_frame) @scn of @elf: in place when it is
 * stored plainly and @elf is ours, else decompressed into a heap copy.
 */
static int copy_debug_frame(struct ks_cfi *cfi, Elf *elf, Elf_Scn *scn)
{
	size_t shstrndx;
	const char *name;
	GElf_Shdr sh;
	struct sec s;
	bool copy = elf != cfi->elf;

	cfi->dbg_scn = NULL;
	if (!gelf_getshdr(scn, &sh) || elf_getshdrstrndx(elf, &shstrndx))
		return -EINVAL;
	name = elf_strptr(elf, shstrndx, sh.sh_name);
	if (!name)
		return -EINVAL;
	if (sh.sh_flags & SHF_COMPRESSED) {
		if (elf_compress(scn, 0, 0) < 0)
			return -EINVAL;
		copy = true;
	} else if (!strcmp(name, ".zdebug_frame")) {
		if (elf_compress_gnu(scn, 0, 0) < 0)
			return -EINVAL;
		copy = true;
	}
	if (sec_from_scn(scn, &s))
		return -EINVAL;
	if (cfi->dbg_idx.ents) {	/* replacing an earlier one */
		cfi->heap -= cfi->dbg_idx.n * sizeof(struct fde_ent);
		free(cfi->dbg_idx.ents);
	}
	cfi->dbg_idx = (struct fde_index){ 0 };
	if (cfi->owned[2]) {
		cfi->heap -= cfi->dbg.size;
		free(cfi->owned[2]);
		cfi->owned[2] = NULL;
	}
	if (cfi->cache)		/* rows may point into the old section */
		memset(cfi->cache, 0, cfi->cache_n * sizeof(*cfi->cache));
	cfi->dbg = s;
	cfi->dbg.vaddr = 0;	/* addresses there are absolute */
	if (copy) {
		cfi->dbg.data = dup_bytes(cfi, 2, s.data, s.size);
		if (!cfi->dbg.data) {
			cfi->dbg = (struct sec){ 0 };
			return -ENOMEM;
		}
	}
	cfi->bad = false;
	return 0;
}

int ks_cfi__add_debug_frame(struct ks_cfi *cfi, Elf *debug_elf)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!cfi || !debug_elf || elf_getshdrstrndx(debug_elf, &shstrndx))
		return -EINVAL;
	cfi_ensure(cfi);
	while ((scn = elf_nextscn(debug_elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(debug_elf, shstrndx, sh.sh_name);
		if (name && (!strcmp(name, ".debug_frame") || !strcmp(name, ".zdebug_frame")))
			return copy_debug_frame(cfi, debug_elf, scn);
	}
	return -ENOENT;
}

void ks_cfi__free(struct ks_cfi *cfi)
{
	if (!cfi)
		return;
	free(cfi->eh_idx.ents);
	free(cfi->dbg_idx.ents);
	free(cfi->cache);
	for (size_t i = 0; i < 3; i++)
		free(cfi->owned[i]);
	if (cfi->fd >= 0) {
		elf_end(cfi->elf);
		close(cfi->fd);
	}
	free(cfi);
}

size_t ks_cfi__memory(const struct ks_cfi *cfi)
{
	return cfi ? cfi->heap : 0;
}

/* ---- FDE lookup ---- */

static int ent_cmp(const void *a, const void *b)
{
	const struct fde_ent *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* Walk every entry of @s and index its FDEs by pc (done once, on demand). */
static void build_index(struct ks_cfi *cfi, const struct sec *s, bool eh, struct fde_index *ix)
{
	size_t cap = 0;
	uint64_t off = 0;

	ix->built = true;
	while (off < s->size) {
		struct cur c;
		uint64_t id, id_off, next;
		struct fde fde;
		struct cie cie;
		int err = rd_entry(s, off, eh, &c, &id, &id_off, &next);

		if (err == -ENOENT && eh)
			break;		/* terminator */
		if (err == -ENOENT) {	/* zero length in .debug_frame: padding */
			off += 4;
			continue;
		}
		if (err)
			break;
		if (!is_cie(id, eh) && !parse_fde(cfi, s, off, eh, &fde, &cie) &&
		    fde.range && fde.range <= UINT32_MAX && off <= UINT32_MAX) {
			if (ix->n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct fde_ent *e = realloc(ix->ents, ncap * sizeof(*e));

				if (!e)
					break;
				ix->ents = e;
				cap = ncap;
			}
			ix->ents[ix->n++] = (struct fde_ent){ fde.pc, (uint32_t)fde.range,
							      (uint32_t)off };
		}
		off = next;
	}
	if (ix->n) {
		struct fde_ent *e = realloc(ix->ents, ix->n * sizeof(*e));

		if (e)
			ix->ents = e;
		qsort(ix->ents, ix->n, sizeof(*ix->ents), ent_cmp);
	} else {
		free(ix->ents);
		ix->ents = NULL;
	}
	cfi->heap += ix->n * sizeof(struct fde_ent);
}

static int index_lookup(struct ks_cfi *cfi, const struct sec *s, bool eh,
			struct fde_index *ix, uint64_t pc, struct fde *fde, struct cie *cie)
{
	size_t lo = 0, hi;

	if (!s->data)
		return -ENOENT;
	if (!ix->built)
		build_index(cfi, s, eh, ix);
	hi = ix->n;
	while (lo < hi) {	/* first entry with pc > @pc */
		size_t mid = lo + (hi - lo) / 2;

		if (ix->ents[mid].pc <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* overlapping FDEs are rare; check the few candidates just below */
	for (size_t i = lo, k = 0; i > 0 && k < 4; i--, k++) {
		const struct fde_ent *e = &ix->ents[i - 1];

		if (pc - e->pc < e->range)
			return parse_fde(cfi, s, e->off, eh, fde, cie) ? -EINVAL : 0;
	}
	return -ENOENT;
}

static int hdr_lookup(struct ks_cfi *cfi, uint64_t pc, struct fde *fde, struct cie *cie)
{
	const uint8_t *t = cfi->table;
	size_t lo = 0, hi = cfi->table_n;
	uint64_t base = cfi->hdr.vaddr, addr, off;
	struct cur c;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		c = (struct cur){ t + mid * 8, t + mid * 8 + 4, false };
		if (base + rd_s(&c, 4) <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	c = (struct cur){ t + (lo - 1) * 8 + 4, t + lo * 8, false };
	addr = base + rd_s(&c, 4);
	off = addr - cfi->eh.vaddr;
	if (addr < cfi->eh.vaddr || off >= cfi->eh.size)
		return -EINVAL;
	if (parse_fde(cfi, &cfi->eh, off, true, fde, cie))
		return -EINVAL;
	return pc - fde->pc < fde->range ? 0 : -ENOENT;
}

static int find_fde(struct ks_cfi *cfi, uint64_t pc, struct fde *fde, struct cie *cie)
{
	int err = -ENOENT;

	if (cfi_ensure(cfi))
		return -EINVAL;
	if (cfi->table)
		err = hdr_lookup(cfi, pc, fde, cie);
	else if (cfi->eh.data)
		err = index_lookup(cfi, &cfi->eh, true, &cfi->eh_idx, pc, fde, cie);
	if (err && cfi->dbg.data)
		err = index_lookup(cfi, &cfi->dbg, false, &cfi->dbg_idx, pc, fde, cie);
	return err;
}

int ks_cfi__find_fde(struct ks_cfi *cfi, uint64_t pc, uint64_t *start, uint64_t *end)
{
	struct fde fde;
	struct cie cie;
	int err;

	if (!cfi)
		return -EINVAL;
	err = find_fde(cfi, pc, &fde, &cie);
	if (err)
		return err;
	if (start)
		*start = fde.pc;
	if (end)
		*end = fde.pc + fde.range;
	return 0;
}

/* ---- CFA programs ---- */

struct prog_ctx {
	const struct cie *cie;
	const struct row *init;	/* CIE row, for DW_CFA_restore; NULL while running the CIE */
	const struct ks_cfi *cfi;
	const struct sec *sec;
	uint64_t loc, pc;
};

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* Skip a length-prefixed block, giving its offset in @sec. */
static int rd_block(struct cur *c, const struct sec *sec, int32_t *off)
{
	int64_t at = c->p - sec->data;
	uint64_t n = rd_uleb(c);

	if (!cur_need(c, n) || !fits32(at))
		return -EINVAL;
	c->p += n;
	*off = (int32_t)at;
	return 0;
}

/* The expression block at @off in @sec */
static int get_block(const struct sec *sec, int32_t off, const uint8_t **p, size_t *len)
{
	struct cur c = { sec->data + off, sec->data + sec->size, false };
	uint64_t n;

	if (off < 0 || (size_t)off >= sec->size)
		return -EINVAL;
	n = rd_uleb(&c);
	if (!cur_need(&c, n))
		return -EINVAL;
	*p = c.p;
	*len = n;
	return 0;
}

/* Run CFA instructions [p, end) until the row for ctx->pc is reached. */
static int run_cfa(struct prog_ctx *x, const uint8_t *p, const uint8_t *end, struct row *row)
{
	struct cur c = { p, end, false };
	struct row stack[MAX_STATE];
	int depth = 0, steps = 0;
	const struct cie *cie = x->cie;

	while (c.p < c.end && !c.err) {
		uint8_t op = rd_u(&c, 1), lo = op & 0x3f;
		uint64_t reg = 0, delta = 0, v;
		int64_t off = 0;
		uint8_t kind = RULE_SAME;
		bool set = false;

		if (++steps > MAX_CFA_INSNS)
			return -EINVAL;
		switch (op & 0xc0) {
		case 0x40:	/* DW_CFA_advance_loc */
			delta = lo;
			goto advance;
		case 0x80:	/* DW_CFA_offset */
			reg = lo;
			kind = RULE_OFFSET;
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			set = true;
			break;
		case 0xc0:	/* DW_CFA_restore */
			reg = lo;
			goto restore;
		}
		if (op & 0xc0)
			goto apply;
		switch (op) {
		case 0x00:	/* nop */
			continue;
		case 0x01:	/* set_loc */
			if (rd_enc(&c, cie->fde_enc, x->sec, x->cfi->got_vaddr,
				   x->cfi->text_vaddr, &v, NULL))
				return -EINVAL;
			if (v < x->loc)
				return -EINVAL;
			if (x->pc < v)
				return 0;
			x->loc = v;
			continue;
		case 0x02: delta = rd_u(&c, 1); goto advance;
		case 0x03: delta = rd_u(&c, 2); goto advance;
		case 0x04: delta = rd_u(&c, 4); goto advance;
		case 0x05:	/* offset_extended */
			reg = rd_uleb(&c);
			kind = RULE_OFFSET;
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			set = true;
			break;
		case 0x06:	/* restore_extended */
			reg = rd_uleb(&c);
			goto restore;
		case 0x07:	/* undefined */
			reg = rd_uleb(&c);
			kind = RULE_UNDEF;
			set = true;
			break;
		case 0x08:	/* same_value */
			reg = rd_uleb(&c);
			set = true;
			break;
		case 0x09:	/* register */
			reg = rd_uleb(&c);
			kind = RULE_REG;
			off = (int64_t)rd_uleb(&c);
			set = true;
			break;
		case 0x0a:	/* remember_state */
			if (depth == MAX_STATE)
				return -EINVAL;
			stack[depth++] = *row;
			continue;
		case 0x0b:	/* restore_state: the CFA is part of the state (gcc relies on it) */
			if (depth == 0)
				return -EINVAL;
			*row = stack[--depth];
			continue;
		case 0x0c:	/* def_cfa */
			reg = rd_uleb(&c);
			off = (int64_t)rd_uleb(&c);
			goto def_cfa;
		case 0x0d:	/* def_cfa_register */
			reg = rd_uleb(&c);
			off = row->cfa_off;
			goto def_cfa;
		case 0x0e:	/* def_cfa_offset */
			off = (int64_t)rd_uleb(&c);
			goto cfa_off;
		case 0x0f:	/* def_cfa_expression */
			if (rd_block(&c, x->sec, &row->cfa_off))
				return -EINVAL;
			row->cfa_kind = CFA_EXPR;
			continue;
		case 0x10:	/* expression */
		case 0x16:	/* val_expression */
			reg = rd_uleb(&c);
			kind = op == 0x10 ? RULE_EXPR : RULE_VAL_EXPR;
			{
				int32_t at;

				if (rd_block(&c, x->sec, &at))
					return -EINVAL;
				off = at;
			}
			set = true;
			break;
		case 0x11:	/* offset_extended_sf */
			reg = rd_uleb(&c);
			kind = RULE_OFFSET;
			off = rd_sleb(&c) * cie->data_align;
			set = true;
			break;
		case 0x12:	/* def_cfa_sf */
			reg = rd_uleb(&c);
			off = rd_sleb(&c) * cie->data_align;
			goto def_cfa;
		case 0x13:	/* def_cfa_offset_sf */
			off = rd_sleb(&c) * cie->data_align;
			goto cfa_off;
		case 0x14:	/* val_offset */
			reg = rd_uleb(&c);
			kind = RULE_VAL_OFFSET;
			off = (int64_t)rd_uleb(&c) * cie->data_align;
			set = true;
			break;
		case 0x15:	/* val_offset_sf */
			reg = rd_uleb(&c);
			kind = RULE_VAL_OFFSET;
			off = rd_sleb(&c) * cie->data_align;
			set = true;
			break;
		case 0x2e:	/* GNU_args_size: affects nothing we compute */
			rd_uleb(&c);
			continue;
		case 0x2f:	/* GNU_negative_offset_extended */
			reg = rd_uleb(&c);
			kind = RULE_OFFSET;
			off = -(int64_t)rd_uleb(&c) * cie->data_align;
			set = true;
			break;
		default:
			return -EINVAL;
		}
apply:
		if (!set)
			continue;
		if (!fits32(off))
			return -EINVAL;
		if (reg < NREGS)
			row->r[reg] = (struct rule){ kind, (int32_t)off };
		continue;
def_cfa:
		if (reg >= NREGS)
			return -EINVAL;	/* a CFA in a register we never have */
		row->cfa_kind = CFA_REG;
		row->cfa_reg = (uint8_t)reg;
cfa_off:
		if (!fits32(off))
			return -EINVAL;
		row->cfa_off = (int32_t)off;
		continue;
restore:
		if (reg < NREGS)
			row->r[reg] = x->init ? x->init->r[reg] : (struct rule){ 0 };
		continue;
advance:
		v = x->loc + delta * cie->code_align;
		if (x->pc < v)
			return 0;	/* the row for pc is complete */
		x->loc = v;
	}
	return c.err ? -EINVAL : 0;
}

/* ---- the walk ---- */

struct regs {
	uint64_t v[NREGS];
	uint32_t known;		/* bit per register */
};

struct mem {
	const uint8_t *stack;
	uint64_t sp0;
	size_t len;
	size_t used;		/* highest byte read + 1, relative to sp0 */
};

static int mem_read(struct mem *m, uint64_t addr, size_t size, uint64_t *out)
{
	uint64_t off = addr - m->sp0, v = 0;

	if (addr < m->sp0)
		return -ERANGE;		/* below sp: not a valid frame */
	if (off > m->len || m->len - off < size)
		return -EFAULT;		/* above the copy: it was too short */
	memcpy(&v, m->stack + off, size);
	*out = v;
	if (off + size > m->used)
		m->used = off + size;
	return 0;
}

static int reg_get(const struct regs *r, uint64_t reg, uint64_t *v)
{
	if (reg >= NREGS || !(r->known & (1u << reg)))
		return -ENOENT;
	*v = r->v[reg];
	return 0;
}

/*
 * Evaluate a DWARF expression (the subset CFI uses: constants, registers,
 * arithmetic, comparisons, branches, deref from the stack copy). @push is
 * the initial stack entry (the CFA for DW_CFA_expression), if any.
 */
static int eval_expr(const uint8_t *p, size_t len, const struct regs *r, struct mem *m,
		     const uint64_t *push, uint64_t *out)
{
	struct cur c = { p, p + len, false };
	uint64_t st[MAX_EXPR_STACK], a, b;
	int n = 0, steps = 0, err;

#define NEED(k)	do { if (n < (k)) return -EINVAL; } while (0)
#define PUSH(x)	do { uint64_t t_ = (x); if (n == MAX_EXPR_STACK) return -EINVAL; st[n++] = t_; } while (0)
	if (push)
		PUSH(*push);
	while (c.p < c.end) {
		uint8_t op = rd_u(&c, 1);

		if (++steps > MAX_EXPR_STEPS)
			return -EINVAL;
		if (op >= 0x30 && op <= 0x4f) {		/* lit0..31 */
			PUSH(op - 0x30);
		} else if (op >= 0x50 && op <= 0x6f) {	/* reg0..31: value in register */
			if (reg_get(r, op - 0x50, &a))
				return -ENOENT;
			PUSH(a);
		} else if (op >= 0x70 && op <= 0x8f) {	/* breg0..31 */
			int64_t off = rd_sleb(&c);

			if (reg_get(r, op - 0x70, &a))
				return -ENOENT;
			PUSH(a + off);
		} else switch (op) {
		case 0x03: PUSH(rd_u(&c, 8)); break;		/* addr */
		case 0x08: PUSH(rd_u(&c, 1)); break;		/* const1u */
		case 0x09: PUSH(rd_s(&c, 1)); break;
		case 0x0a: PUSH(rd_u(&c, 2)); break;
		case 0x0b: PUSH(rd_s(&c, 2)); break;
		case 0x0c: PUSH(rd_u(&c, 4)); break;
		case 0x0d: PUSH(rd_s(&c, 4)); break;
		case 0x0e: case 0x0f: PUSH(rd_u(&c, 8)); break;
		case 0x10: PUSH(rd_uleb(&c)); break;		/* constu */
		case 0x11: PUSH(rd_sleb(&c)); break;		/* consts */
		case 0x12: NEED(1); PUSH(st[n - 1]); break;	/* dup */
		case 0x13: NEED(1); n--; break;			/* drop */
		case 0x14: NEED(2); PUSH(st[n - 2]); break;	/* over */
		case 0x15: a = rd_u(&c, 1); NEED((int)a + 1); PUSH(st[n - 1 - a]); break;
		case 0x16: NEED(2); a = st[n - 1]; st[n - 1] = st[n - 2]; st[n - 2] = a; break;
		case 0x17: NEED(3); a = st[n - 1]; st[n - 1] = st[n - 2];	/* rot */
			st[n - 2] = st[n - 3]; st[n - 3] = a; break;
		case 0x06:	/* deref */
		case 0x94:	/* deref_size */
			NEED(1);
			a = op == 0x94 ? rd_u(&c, 1) : 8;
			if (a == 0 || a > 8)
				return -EINVAL;
			err = mem_read(m, st[n - 1], a, &b);
			if (err)
				return err;
			st[n - 1] = b;
			break;
		case 0x19: NEED(1); if ((int64_t)st[n - 1] < 0) st[n - 1] = -st[n - 1]; break;
		case 0x1f: NEED(1); st[n - 1] = -st[n - 1]; break;
		case 0x20: NEED(1); st[n - 1] = ~st[n - 1]; break;
		case 0x23: NEED(1); st[n - 1] += rd_uleb(&c); break;	/* plus_uconst */
		case 0x1a: case 0x1b: case 0x1c: case 0x1d: case 0x1e: case 0x21: case 0x22:
		case 0x24: case 0x25: case 0x26: case 0x27: case 0x29: case 0x2a: case 0x2b:
		case 0x2c: case 0x2d: case 0x2e:
			NEED(2);
			b = st[--n];
			a = st[n - 1];
			switch (op) {
			case 0x1a: a &= b; break;
			case 0x1b: if (!b) return -EINVAL;
				a = (uint64_t)((int64_t)a / (int64_t)b); break;
			case 0x1c: a -= b; break;
			case 0x1d: if (!b) return -EINVAL;
				a %= b; break;
			case 0x1e: a *= b; break;
			case 0x21: a |= b; break;
			case 0x22: a += b; break;
			case 0x24: a = b < 64 ? a << b : 0; break;
			case 0x25: a = b < 64 ? a >> b : 0; break;
			case 0x26: a = (uint64_t)((int64_t)a >> (b < 63 ? b : 63)); break;
			case 0x27: a ^= b; break;
			case 0x29: a = a == b; break;
			case 0x2a: a = (int64_t)a >= (int64_t)b; break;
			case 0x2b: a = (int64_t)a > (int64_t)b; break;
			case 0x2c: a = (int64_t)a <= (int64_t)b; break;
			case 0x2d: a = (int64_t)a < (int64_t)b; break;
			case 0x2e: a = a != b; break;
			}
			st[n - 1] = a;
			break;
		case 0x28:	/* bra */
		case 0x2f: {	/* skip */
			int64_t off = rd_s(&c, 2);

			if (op == 0x28) {
				NEED(1);
				if (!st[--n])
					break;
			}
			if (off < -(c.p - p) || off > c.end - c.p)
				return -EINVAL;
			c.p += off;
			break;
		}
		case 0x90: {	/* regx */
			uint64_t reg = rd_uleb(&c);

			if (reg_get(r, reg, &a))
				return -ENOENT;
			PUSH(a);
			break;
		}
		case 0x92: {	/* bregx */
			uint64_t reg = rd_uleb(&c);
			int64_t off = rd_sleb(&c);

			if (reg_get(r, reg, &a))
				return -ENOENT;
			PUSH(a + off);
			break;
		}
		case 0x96:	/* nop */
			break;
		default:
			return -EINVAL;
		}
		if (c.err)
			return -EINVAL;
	}
#undef NEED
#undef PUSH
	if (n < 1)
		return -EINVAL;
	*out = st[n - 1];
	return 0;
}

enum { STEP_OK = 0, STEP_END, STEP_FAIL };

/*
 * One CFI step: from @r (the callee's registers) compute the caller's in
 * @out. Returns STEP_OK, STEP_END (RA undefined), or -errno (-EFAULT when a
 * read left the copy, -ENOENT when a needed register is unknown).
 */
static int step_cfi(const struct row *row, const struct regs *r, struct mem *m,
		    struct regs *out)
{
	uint64_t cfa, v;
	int err;

	const uint8_t *ep;
	size_t elen;

	if (row->cfa_kind == CFA_EXPR) {
		err = get_block(row->sec, row->cfa_off, &ep, &elen);
		if (!err)
			err = eval_expr(ep, elen, r, m, NULL, &cfa);
		if (err)
			return err;
	} else {
		if (reg_get(r, row->cfa_reg, &cfa))
			return -ENOENT;
		cfa += row->cfa_off;
	}
	if (row->r[REG_RA].kind == RULE_UNDEF)
		return STEP_END;
	if (row->r[REG_RA].kind == RULE_SAME)	/* would loop on the same ip */
		return -EINVAL;
	/* "same value" registers carry over; only the others need work */
	*out = *r;
	for (uint32_t set = row->set; set; set &= set - 1) {
		int i = __builtin_ctz(set);
		const struct rule *ru = &row->r[i];

		err = 0;
		out->known &= ~(1u << i);
		switch (ru->kind) {
		case RULE_UNDEF:
			continue;
		case RULE_OFFSET:
			err = mem_read(m, cfa + ru->off, 8, &v);
			break;
		case RULE_VAL_OFFSET:
			v = cfa + ru->off;
			break;
		case RULE_REG:
			if (reg_get(r, (uint64_t)ru->off, &v))
				continue;
			break;
		case RULE_EXPR:
		case RULE_VAL_EXPR:
			err = get_block(row->sec, ru->off, &ep, &elen);
			if (!err)
				err = eval_expr(ep, elen, r, m, &cfa, &v);
			if (!err && ru->kind == RULE_EXPR)
				err = mem_read(m, v, 8, &v);
			break;
		}
		if (err) {
			if (i == REG_RA)	/* without the RA there is no next frame */
				return err;
			continue;		/* another register: just unknown */
		}
		out->v[i] = v;
		out->known |= 1u << i;
	}
	/* the caller's sp is the CFA unless a rule says otherwise (it never does) */
	if (row->r[REG_RSP].kind == RULE_SAME) {
		out->v[REG_RSP] = cfa;
		out->known |= 1u << REG_RSP;
	}
	if (!(out->known & (1u << REG_RA)))
		return -ENOENT;
	return STEP_OK;
}

/* Frame-pointer step: CFA = rbp + 16, RA at CFA - 8, saved rbp at CFA - 16. */
static int step_fp(const struct regs *r, struct mem *m, struct regs *out)
{
	uint64_t bp, ra, nbp;

	if (reg_get(r, REG_RBP, &bp) || bp == 0)
		return -ENOENT;
	if (bp & 7)
		return -ENOENT;
	if (mem_read(m, bp, 8, &nbp) || mem_read(m, bp + 8, 8, &ra))
		return -EFAULT;
	*out = (struct regs){ 0 };
	out->v[REG_RBP] = nbp;
	out->v[REG_RSP] = bp + 16;
	out->v[REG_RA] = ra;
	out->known = 1u << REG_RBP | 1u << REG_RSP | 1u << REG_RA;
	return STEP_OK;
}

static uint32_t cache_slot(const struct ks_cfi *cfi, uint64_t pc)
{
	return (uint32_t)((pc * 0x9e3779b97f4a7c15ULL) >> 40) & (cfi->cache_n - 1);
}

/*
 * CFI row for @pc (ELF vaddr) in @cfi, computed in @row or found in the
 * cache: *@out points to it. 0, -ENOENT (no FDE), -EINVAL.
 */
static int cfi_row(struct ks_cfi *cfi, uint64_t pc, struct row *row, const struct row **out)
{
	struct fde fde;
	struct cie cie;
	struct row init = { 0 };
	struct prog_ctx x = { .cie = &cie, .cfi = cfi, .pc = ~0ULL };
	struct row *slot = NULL;
	int err;

	if (cfi->cache_n && !cfi->cache && !cfi->cache_failed) {
		cfi->cache = calloc(cfi->cache_n, sizeof(*cfi->cache));
		cfi->cache_failed = !cfi->cache;
		if (cfi->cache)
			cfi->heap += cfi->cache_n * sizeof(*cfi->cache);
	}
	if (cfi->cache) {
		slot = &cfi->cache[cache_slot(cfi, pc)];
		if (slot->sec && slot->pc == pc) {
			*out = slot;
			cfi->hits++;
			return 0;
		}
		cfi->misses++;
	}
	err = find_fde(cfi, pc, &fde, &cie);
	if (err)
		return err;
	x.sec = (fde.insns >= cfi->eh.data && fde.insns < cfi->eh.data + cfi->eh.size) ?
		&cfi->eh : &cfi->dbg;
	init.sec = x.sec;
	/* the CIE's initial instructions run to their end, whatever pc is */
	if (run_cfa(&x, cie.insns, cie.insns_end, &init))
		return -EINVAL;
	*row = init;
	x.init = &init;
	x.loc = fde.pc;
	x.pc = pc;
	if (run_cfa(&x, fde.insns, fde.insns_end, row))
		return -EINVAL;
	row->signal = cie.signal;
	row->pc = pc;
	row->set = 0;
	for (int i = 0; i < NREGS; i++)
		if (row->r[i].kind != RULE_SAME)
			row->set |= 1u << i;
	if (slot)
		*slot = *row;
	*out = row;
	return 0;
}

void ks_cfi__set_cache(struct ks_cfi *cfi, unsigned int entries)
{
	if (!cfi)
		return;
	while (entries & (entries - 1))	/* round down to a power of two */
		entries &= entries - 1;
	if (cfi->cache) {
		free(cfi->cache);
		cfi->heap -= cfi->cache_n * sizeof(*cfi->cache);
		cfi->cache = NULL;
	}
	cfi->cache_n = entries;
	cfi->cache_failed = false;
}

const char *ks_unwind_stop_str(int stop)
{
	static const char *const s[KS_UNWIND__COUNT] = {
		[KS_UNWIND_END] = "end of stack",
		[KS_UNWIND_MAX] = "max depth",
		[KS_UNWIND_STACK_SHORT] = "stack copy too short",
		[KS_UNWIND_NO_RULE] = "no CFI and no frame pointer",
		[KS_UNWIND_LOOP] = "stack pointer did not increase",
		[KS_UNWIND_BAD_CFI] = "malformed CFI",
	};

	return stop >= 0 && stop < KS_UNWIND__COUNT ? s[stop] : "?";
}

int ks_unwind_ex(const struct ks_uregs *regs, const void *stack, size_t stack_len,
		 ks_unwind_find_fn find, void *ctx, uint64_t *ips, int max,
		 bool *complete, struct ks_unwind_info *info)
{
	struct ks_unwind_info dummy;
	struct mem m = { stack, 0, stack ? stack_len : 0, 0 };
	struct regs r = { 0 }, nr;
	bool exact = true;	/* ip is exact (leaf, or above a signal frame) */
	int n = 0;

	if (!info)
		info = &dummy;
	*info = (struct ks_unwind_info){ .stop = KS_UNWIND_MAX };
	if (complete)
		*complete = false;
	if (!regs || !ips || max < 1 || !find)
		return -EINVAL;
	m.sp0 = regs->sp;
	r.v[REG_RA] = regs->ip;
	r.v[REG_RSP] = regs->sp;
	r.v[REG_RBP] = regs->bp;
	r.known = 1u << REG_RA | 1u << REG_RSP | 1u << REG_RBP;
	ips[n++] = regs->ip;

	while (n < max) {
		uint64_t ip = r.v[REG_RA], pc = exact ? ip : ip - 1, bias = 0;
		struct ks_cfi *cfi = NULL;
		struct row tmp;
		const struct row *row = NULL;
		bool signal = false;
		int err = -ENOENT;

		if (find(ctx, pc, &cfi, &bias) == 0 && cfi)
			err = cfi_row(cfi, pc - bias, &tmp, &row);
		if (!err) {
			signal = row->signal;
			err = step_cfi(row, &r, &m, &nr);
			if (err == STEP_END) {
				info->stop = KS_UNWIND_END;
				break;
			}
			if (err == STEP_OK)
				info->cfi_frames++;
		}
		if (err == -EFAULT) {	/* CFI is fine, the copy is too short */
			info->stop = KS_UNWIND_STACK_SHORT;
			break;
		}
		if (err) {
			/* no CFI here, or it is malformed or needs a register we lack */
			int fp_err = step_fp(&r, &m, &nr);

			if (fp_err) {
				info->stop = fp_err == -EFAULT ? KS_UNWIND_STACK_SHORT :
					     err == -EINVAL ? KS_UNWIND_BAD_CFI : KS_UNWIND_NO_RULE;
				break;
			}
			info->fp_frames++;
			signal = false;
		}
		if (nr.v[REG_RA] == 0) {
			info->stop = KS_UNWIND_END;
			break;
		}
		if (!(nr.known & (1u << REG_RSP)) || nr.v[REG_RSP] <= r.v[REG_RSP]) {
			info->stop = KS_UNWIND_LOOP;
			break;
		}
		r = nr;
		exact = signal;
		ips[n++] = r.v[REG_RA];
	}
	info->stack_used = m.used;
	if (complete)
		*complete = info->stop == KS_UNWIND_END;
	return n;
}

int ks_unwind(const struct ks_uregs *regs, const void *stack, size_t stack_len,
	      ks_unwind_find_fn find, void *ctx, uint64_t *ips, int max, bool *complete)
{
	return ks_unwind_ex(regs, stack, stack_len, find, ctx, ips, max, complete, NULL);
}
