// SPDX-License-Identifier: GPL-2.0
/*
 * Flame graph SVG and the one-page HTML report (flame graph + sortable
 * function table). Self-contained: no network, one file.
 *
 * What users complain about in the classic tools, and what we do instead:
 * - frozen browsers on big graphs: frames narrower than --minwidth are
 *   merged into one remainder box per parent, so the SVG holds at most
 *   ~depth/minwidth boxes whatever the input size;
 * - frames silently dropped: the remainder box stays visible, says how many
 *   frames it holds and their share, and the subtitle counts them;
 * - long names cut without notice: cut names end in "..", the tooltip and
 *   the details line carry the full name;
 * - colours changing between graphs: --hash colours by function name.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stackset.h"
#include "ks_util.h"

#define FRAME_H		16
#define FONT_SIZE	12
#define CHAR_W		(FONT_SIZE * 0.59)
#define XPAD		10
#define TOP_PAD		(FONT_SIZE * 6 + 4)
#define BOTTOM_PAD	(FONT_SIZE * 3)
#define TABLE_MAX	5000
/*
 * Browsers take about a second per 20-30k SVG rectangles to lay out: unless
 * --minwidth is given, it is raised until the graph fits this budget.
 */
#define AUTO_MAX_FRAMES	30000

static void xml_esc(FILE *f, const char *s, size_t max)
{
	size_t i;
	int n;

	for (i = 0; *s && i < max; s += n, i++) {
		n = ks_utf8_len(s);
		if (!n) {
			fputc('?', f);
			n = 1;
			continue;
		}
		if (n > 1) {
			fwrite(s, 1, n, f);
			continue;
		}
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			/* control characters are not allowed in XML 1.0 */
			fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
		}
	}
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	h ^= h >> 15;
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return h;
}

struct rgb {
	int r, g, b;
};

/* Hue families tell frame kinds apart; @h varies the shade inside a family. */
static struct rgb kind_colour(uint8_t kind, uint32_t h)
{
	double a = (h & 0xff) / 255.0, b = ((h >> 8) & 0xff) / 255.0, c = ((h >> 16) & 0xff) / 255.0;

	switch (kind) {
	case KS_FRAME_KERNEL:
		return (struct rgb){ 215 + 40 * a, 125 + 55 * b, 20 * c };
	case KS_FRAME_JIT:
		return (struct rgb){ 50 + 60 * a, 180 + 70 * b, 50 + 60 * a };
	case KS_FRAME_INLINE:
		return (struct rgb){ 50 + 50 * a, 170 + 60 * b, 170 + 60 * b };
	case KS_FRAME_OFFCPU:
		return (struct rgb){ 90 + 50 * a, 110 + 60 * a, 200 + 55 * b };
	case KS_FRAME_PROCESS:
		return (struct rgb){ 170 + 50 * a, 110 + 40 * a, 200 + 40 * b };
	case KS_FRAME_UNKNOWN:
		return (struct rgb){ 150 + 50 * a, 150 + 50 * a, 150 + 50 * a };
	default:
		return (struct rgb){ 205 + 50 * a, 40 + 55 * b, 40 + 45 * c };
	}
}

static void fmt_count(char *buf, size_t len, uint64_t v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v), i, o = 0;

	for (i = 0; i < n && o + 2 < (int)len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
}

struct flame {
	FILE *f;
	struct ks_stackset *s;
	const struct ks_export_opts *o;
	struct ks_box *boxes;
	long nboxes;
	uint32_t max_depth;
	uint64_t total, tv, tb;		/* drawn total, value and base totals */
	double scale;			/* px per drawn value */
	unsigned int width, height;
	bool diff;
	double max_delta;
	size_t nrest;
	uint64_t nmerged;
	double minw;			/* effective --minwidth, percent */
	bool raised;			/* minw raised to fit AUTO_MAX_FRAMES */
};

static double delta_of(const struct flame *fl, const struct ks_box *b)
{
	double v = fl->tv ? (double)b->value / fl->tv : 0, w = fl->tb ? (double)b->base / fl->tb : 0;

	return v - w;
}

static struct rgb box_colour(const struct flame *fl, const struct ks_box *b, long idx)
{
	const struct ks_sfunc *fn = b->func == KS_BOX_REST ? NULL : &fl->s->funcs[b->func];
	double d;
	int c;

	if (fl->diff) {
		d = delta_of(fl, b);
		c = fl->max_delta > 0 ? (int)lround(210 * fabs(d) / fl->max_delta) : 0;
		if (d > 0)
			return (struct rgb){ 255, 255 - c, 255 - c };
		return (struct rgb){ 255 - c, 255 - c, 255 };
	}
	if (!fn)
		return b->depth ? (struct rgb){ 224, 224, 224 } : (struct rgb){ 200, 200, 210 };
	return kind_colour(fn->kind, fl->o->hash ? name_hash(fn->name)
				   : name_hash(fn->name) ^ (uint32_t)(idx * 2654435761u));
}

static const char *box_name(const struct flame *fl, const struct ks_box *b, char *buf,
			    size_t len)
{
	if (!b->depth)
		return "all";
	if (b->func != KS_BOX_REST)
		return fl->s->funcs[b->func].name;
	snprintf(buf, len, "[%u narrower frames merged]", b->nmerged);
	return buf;
}

static const char *kind_label(uint8_t kind)
{
	static const char *const names[] = {
		"user", "kernel", "JIT/interpreted", "inlined", "process", "off-CPU", "unnamed",
	};

	return kind < ARRAY_SIZE(names) ? names[kind] : "?";
}

static void text_fit(FILE *f, const char *name, double w)
{
	size_t fit = w > 6 ? (size_t)((w - 6) / CHAR_W) : 0, len = strlen(name);

	if (len <= fit) {
		xml_esc(f, name, len);
		return;
	}
	/* visibly cut: the full name is in the tooltip */
	xml_esc(f, name, fit - 2);
	fputs("..", f);
}

/* A JavaScript string literal, safe inside CDATA and inside HTML. */
static void js_str(FILE *f, const char *s)
{
	int n;

	fputc('"', f);
	for (; *s; s += n) {
		n = ks_utf8_len(s);
		if (!n) {
			fputc('?', f);
			n = 1;
		} else if (n > 1) {
			fwrite(s, 1, n, f);
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s);
		} else if ((unsigned char)*s < 0x20 || *s == '<' || *s == '>' || *s == '&') {
			fprintf(f, "\\u%04x", (unsigned char)*s);
		} else {
			fputc(*s, f);
		}
	}
	fputc('"', f);
}

static const char flame_css[] =
"#ksflame text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}\n"
"#ksflame #frames text{pointer-events:none}\n"
"#ksflame #frames rect{cursor:pointer}\n"
"#ksflame #frames rect:hover{stroke:#000;stroke-width:0.5}\n"
"#ksflame rect.rest{stroke:#888;stroke-dasharray:2,1}\n"
"#ksflame .hide{display:none}\n"
"#ksflame .anc{opacity:0.55}\n"
"#ksflame .btn{cursor:pointer;fill:#0645ad}\n"
"#ksflame .btn.off{display:none}\n"
"#ksflame .title{font-size:17px}\n"
"#ksflame .sub{fill:#555}\n"
"#ksflame #tip{pointer-events:none}\n"
"#ksflame #tip rect{fill:#ffffe8;stroke:#888}\n";

/*
 * The viewer. A frame is a <rect> in #frames, followed by a <text> where a
 * label fits; names and values are in the KS data object, in the same
 * order (a <title> per frame costs browsers more than the frame itself).
 * URL hash "#s=REGEX&z=NAME&u=1&h=NAME&t=1" runs a search, a zoom, an
 * unzoom, a tooltip on load and, with t, writes what happened (or the JavaScript
 * errors) into #kstest: the end-to-end tests read it back.
 */
static const char flame_js[] =
"(function(){'use strict';\n"
"var NS='http://www.w3.org/2000/svg',svg=document.getElementById('ksflame');\n"
"var W=+svg.getAttribute('width'),XP=10,FH=16,CW=12*0.59,FR=[],zoomed=null,cur=null;\n"
"var test=document.getElementById('kstest'),errs=[];\n"
"window.addEventListener('error',function(e){errs.push(String(e.message));"
"if(test)test.textContent='error: '+errs.join('; ');});\n"
"function el(id){return document.getElementById(id);}\n"
"var frames=el('frames'),F=KS.f;\n"
"function nm(ni){return ni<0?'['+(-ni)+' narrower frames merged]':KS.n[ni];}\n"
"function fit(f,w){var n=Math.floor((w-6)/CW),s=f.name;if(n<3)return '';"
"return s.length<=n?s:s.slice(0,n-2)+'..';}\n"
"function mk(r,x,y,w,fill,i){var f={r:r,t:null,x:x,w:w,y:y,"
"d:Math.round(KS.inv?(y-KS.y0)/FH:(KS.y0-y)/FH),ni:F[3*i],name:nm(F[3*i]),rest:F[3*i]<0,"
"fill:fill,i:i};r.ksi=i;FR.push(f);return f;}\n"
"function label(f,x,w){var s=fit(f,w);if(!s&&!f.t)return;if(!f.t){"
"f.t=document.createElementNS(NS,'text');f.t.setAttribute('y',f.y+FH-4.5);"
"f.r.parentNode.insertBefore(f.t,f.r.nextSibling);}\n"
" f.t.setAttribute('x',(x+3).toFixed(2));f.t.textContent=s;}\n"
"for(var c=frames.firstElementChild,i=0;c;c=c.nextElementSibling){if(c.tagName!=='rect')continue;\n"
" var f=mk(c,+c.getAttribute('x'),+c.getAttribute('y'),+c.getAttribute('width'),"
"c.getAttribute('fill'),i++);var n=c.nextElementSibling;if(n&&n.tagName==='text')f.t=n;}\n"
"function num(v){return String(v).replace(/\\B(?=(\\d{3})+(?!\\d))/g,',');}\n"
"function pc(v,t){return (t?100*v/t:0).toFixed(2)+'%';}\n"
"function info(i){var ni=F[3*i],v=F[3*i+1],b=F[3*i+2],s=num(v)+' '+KS.unit+' ('+pc(v,KS.tv)+')';\n"
" if(KS.diff){var d=(KS.tv?100*v/KS.tv:0)-(KS.tb?100*b/KS.tb:0);"
"s+=', base '+num(b)+' ('+pc(b,KS.tb)+'), '+(d>=0?'+':'')+d.toFixed(2)+' pts';}\n"
" if(ni<0)s+=', each narrower than '+KS.minw+'%: re-render with a smaller --minwidth';\n"
" else if(i>0)s+=', '+KS.kinds[+KS.k[ni]];return s;}\n"
"function place(f,x,w){f.r.setAttribute('x',x.toFixed(2));f.r.setAttribute('width',w.toFixed(2));"
"label(f,x,w);}\n"
"function setcl(f,cl){f.r.setAttribute('class',cl);if(f.t)f.t.setAttribute('class',cl);}\n"
"function hidden(f){return /hide/.test(f.r.getAttribute('class')||'');}\n"
"function details(s){el('details').textContent=s;}\n"
"function zoom(f){var s=(W-2*XP)/f.w,x0=f.x,e=1e-6*W;zoomed=f;\n"
" for(var i=0;i<FR.length;i++){var c=FR[i],cl=c.rest?'rest':'';\n"
"  if(c.d>=f.d&&c.x>=x0-e&&c.x+c.w<=x0+f.w+e){place(c,XP+(c.x-x0)*s,c.w*s);}\n"
"  else if(c.d<f.d&&c.x<=x0+e&&c.x+c.w>=x0+f.w-e){place(c,XP,W-2*XP);cl+=' anc';}\n"
"  else cl+=' hide';\n"
"  setcl(c,cl);}\n"
" el('unzoom').setAttribute('class','btn');}\n"
"function unzoom(){zoomed=null;for(var i=0;i<FR.length;i++){var c=FR[i];"
"place(c,c.x,c.w);setcl(c,c.rest?'rest':'');}\n"
" el('unzoom').setAttribute('class','btn off');}\n"
"function search(re){var rx,m=[],i,c,tot=0,end=-1;\n"
" try{rx=new RegExp(re);}catch(e){details('bad regex: '+e.message);return -1;}\n"
" for(i=0;i<FR.length;i++){c=FR[i];if(!c.rest&&c.d>0&&rx.test(c.name)){"
"c.r.setAttribute('fill','rgb(230,0,230)');m.push(c);}else c.r.setAttribute('fill',c.fill);}\n"
" m.sort(function(a,b){return a.x-b.x||a.d-b.d;});\n"
" for(i=0;i<m.length;i++){c=m[i];if(c.x+c.w<=end+1e-9)continue;"
"tot+=c.x+c.w-Math.max(c.x,end);end=Math.max(end,c.x+c.w);}\n"
" var pct=100*tot/(W-2*XP);cur=re;\n"
" el('matched').textContent='Matched: '+pct.toFixed(2)+'% ('+m.length+' frames)';\n"
" el('clear').setAttribute('class','btn');return pct;}\n"
"function clear(){cur=null;for(var i=0;i<FR.length;i++)FR[i].r.setAttribute('fill',FR[i].fill);\n"
" el('matched').textContent=' ';el('clear').setAttribute('class','btn off');}\n"
"function find(n){for(var i=0;i<FR.length;i++)if(FR[i].name===n)return FR[i];return null;}\n"
"function of(e){var k=e.target&&e.target.ksi;return k!==undefined?FR[k]:null;}\n"
"var tip=el('tip'),tr=tip.firstElementChild,t1=tr.nextElementSibling,t2=t1.nextElementSibling;\n"
"function showtip(f,e){var p=svg.createSVGPoint(),m=svg.getScreenCTM();\n"
" t1.textContent=f.name;t2.textContent=info(f.i);tip.setAttribute('class','');\n"
" var w=Math.max(t1.getComputedTextLength(),t2.getComputedTextLength())+12;\n"
" if(m){p.x=e.clientX;p.y=e.clientY;p=p.matrixTransform(m.inverse());}\n"
" var x=Math.min(p.x+12,W-w-2),y=p.y+20>KS.h-44?p.y-50:p.y+20;x=Math.max(x,2);\n"
" tr.setAttribute('width',w);tip.setAttribute('transform','translate('+x+','+y+')');}\n"
"frames.addEventListener('click',function(e){var f=of(e);if(f&&!f.rest)zoom(f);});\n"
"frames.addEventListener('mousemove',function(e){var f=of(e);"
"if(f){details(f.name+' \\u2014 '+info(f.i));showtip(f,e);}});\n"
"frames.addEventListener('mouseleave',function(){details(' ');"
"tip.setAttribute('class','hide');});\n"
"el('unzoom').addEventListener('click',unzoom);\n"
"el('clear').addEventListener('click',clear);\n"
"function ask(){var r=prompt('Search (regular expression)',cur||'');if(r)search(r);}\n"
"el('search').addEventListener('click',ask);\n"
"document.addEventListener('keydown',function(e){if(e.key==='Escape'){unzoom();clear();}"
"if((e.ctrlKey||e.metaKey)&&e.key==='f'){e.preventDefault();ask();}});\n"
"window.ksFlame={zoom:function(n){var f=find(n);if(f)zoom(f);return !!f;},unzoom:unzoom,"
"search:search,clear:clear,info:function(n){var f=find(n);return f?info(f.i):null;}};\n"
"function hashrun(){var h=location.hash.slice(1),p={},out=[];if(!h)return;\n"
" h.split('&').forEach(function(kv){var i=kv.indexOf('=');"
"if(i>0)p[kv.slice(0,i)]=decodeURIComponent(kv.slice(i+1));});\n"
" if(p.s!==undefined){var m=search(p.s);out.push('matched='+(m<0?'bad':m.toFixed(2)));}\n"
" if(p.z!==undefined){var f=find(p.z);if(f){zoom(f);"
"var v=0;for(var i=0;i<FR.length;i++)if(!hidden(FR[i]))v++;"
"out.push('zoomed='+f.name+' visible='+v+' width='+(+f.r.getAttribute('width')).toFixed(1)+"
"' info='+info(f.i).replace(/ /g,'_'));}"
"else out.push('zoomed=none');}\n"
" if(p.u!==undefined){unzoom();out.push('unzoomed');}\n"
" if(p.h!==undefined){var f=find(p.h);if(f){showtip(f,{clientX:50,clientY:50});"
"out.push('tip='+t2.textContent.replace(/ /g,'_'));}else out.push('tip=none');}\n"
" if(p.t&&test)test.textContent=(errs.length?'error: '+errs.join('; '):'ok')+"
"' frames='+FR.length+' '+out.join(' ')+"
"' load_ms='+Math.round(performance.now());}\n"
"if(document.readyState==='complete')hashrun();else window.addEventListener('load',hashrun);\n"
"})();\n";

/* A box in pixels. Remainders stay visible: at least one pixel, inside the parent. */
static void box_geom(const struct flame *fl, const struct ks_box *b, double *x, double *y,
		     double *w)
{
	*x = XPAD + b->x * fl->scale;
	*w = b->w * fl->scale;
	if (b->func == KS_BOX_REST && b->depth && *w < 1) {
		*w = 1;
		if (*x + *w > fl->width - XPAD)
			*x = fl->width - XPAD - *w;
	}
	*y = fl->o->inverted ? TOP_PAD + b->depth * FRAME_H
			     : fl->height - BOTTOM_PAD - (b->depth + 1) * FRAME_H;
}

/* The data the viewer needs: names (once each), kinds, per frame name/value/base. */
static void write_data(struct flame *fl)
{
	double x, w, root_y = 0;
	FILE *f = fl->f;
	uint32_t *idx = calloc(fl->s->nfuncs + 1, sizeof(*idx)), nn = 1;
	char *kinds = malloc(fl->s->nfuncs + 2);
	long i;
	size_t k;

	if (!idx || !kinds) {
		free(idx);
		free(kinds);
		fputs("var KS=null;\n", f);	/* the viewer fails visibly */
		return;
	}
	box_geom(fl, &fl->boxes[0], &x, &root_y, &w);
	fprintf(f, "var KS={unit:");
	js_str(f, fl->s->pool->unit);
	fprintf(f, ",tv:%llu,tb:%llu,diff:%d,minw:%.3g,inv:%d,y0:%.0f,h:%u,\nkinds:[",
		(unsigned long long)fl->tv, (unsigned long long)fl->tb, fl->diff,
		fl->minw, fl->o->inverted, root_y, fl->height);
	for (k = 0; k <= KS_FRAME_UNKNOWN; k++)
		fprintf(f, "%s\"%s\"", k ? "," : "", kind_label(k));
	fputs("],\nn:[\"all\"", f);
	kinds[0] = '0' + KS_FRAME_PROCESS;
	for (i = 0; i < fl->nboxes; i++) {
		const struct ks_box *b = &fl->boxes[i];

		if (b->func == KS_BOX_REST || idx[b->func])
			continue;
		idx[b->func] = nn;
		kinds[nn++] = '0' + fl->s->funcs[b->func].kind;
		fputc(',', f);
		if (nn % 8 == 0)
			fputc('\n', f);
		js_str(f, fl->s->funcs[b->func].name);
	}
	kinds[nn] = '\0';
	fprintf(f, "],\nk:\"%s\",\nf:[", kinds);
	for (i = 0; i < fl->nboxes; i++) {
		const struct ks_box *b = &fl->boxes[i];
		long ni = !b->depth ? 0 : b->func == KS_BOX_REST ? -(long)b->nmerged : idx[b->func];

		fprintf(f, "%s%ld,%llu,%llu", i ? (i % 8 ? "," : ",\n") : "", ni,
			(unsigned long long)b->value, (unsigned long long)b->base);
	}
	fputc(']', f);
	fputs("};\n", f);
	free(idx);
	free(kinds);
}

static void write_svg(struct flame *fl, bool html)
{
	FILE *f = fl->f;
	const struct ks_export_opts *o = fl->o;
	const char *title = o->title ? o->title : fl->s->pool->title ? fl->s->pool->title
			    : fl->diff ? "Differential Flame Graph" : o->inverted ? "Icicle Graph"
			    : "Flame Graph";
	char nbuf[64], tbuf[64];
	double y, x, w;
	size_t k;
	long i;

	if (!html)
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	fprintf(f, "<svg id=\"ksflame\" version=\"1.1\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" xmlns=\"http://www.w3.org/2000/svg\">\n",
		fl->width, fl->height, fl->width, fl->height);
	fprintf(f, "<style type=\"text/css\">\n%s</style>\n", flame_css);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f4\"/>\n");
	fprintf(f, "<text class=\"title\" x=\"%u\" y=\"20\" text-anchor=\"middle\">", fl->width / 2);
	xml_esc(f, title, 500);
	fprintf(f, "</text>\n<text class=\"sub\" x=\"%u\" y=\"38\" text-anchor=\"middle\">",
		fl->width / 2);
	if (o->subtitle) {
		xml_esc(f, o->subtitle, 500);
		fputs(" \xe2\x80\x94 ", f);
	}
	fmt_count(nbuf, sizeof(nbuf), fl->tv);
	for (i = 0, k = 0; i < (long)fl->s->nstacks; i++)
		k += fl->s->stacks[i].value != 0;
	fprintf(f, "%s %s in %zu stacks", nbuf, fl->s->pool->unit, k);
	if (fl->diff) {
		fmt_count(tbuf, sizeof(tbuf), fl->tb);
		fprintf(f, " vs base %s; shares normalized to the totals, red grew, blue shrank;"
			" widths from %s", tbuf, o->negate ? "the base" : "this profile");
	}
	if (fl->nrest)
		fprintf(f, "; %llu frames narrower than %.3g%% merged into %zu grey boxes",
			(unsigned long long)fl->nmerged, fl->minw, fl->nrest);
	if (fl->raised)
		fprintf(f, " (minwidth raised to stay under %d frames: --minwidth to choose)",
			AUTO_MAX_FRAMES);
	fputs("</text>\n", f);
	/* legend: what the colours mean */
	if (!fl->diff) {
		static const uint8_t kinds[] = { KS_FRAME_USER, KS_FRAME_KERNEL, KS_FRAME_JIT,
			KS_FRAME_INLINE, KS_FRAME_OFFCPU, KS_FRAME_PROCESS, KS_FRAME_UNKNOWN };
		size_t k;

		x = XPAD;
		for (k = 0; k < ARRAY_SIZE(kinds); k++) {
			struct rgb c = kind_colour(kinds[k], 0x808080);

			fprintf(f, "<rect x=\"%.0f\" y=\"46\" width=\"10\" height=\"10\" "
				"fill=\"rgb(%d,%d,%d)\"/><text x=\"%.0f\" y=\"55\">%s</text>\n",
				x, c.r, c.g, c.b, x + 13, kind_label(kinds[k]));
			x += 13 + strlen(kind_label(kinds[k])) * 7 + 16;
		}
		fprintf(f, "<rect x=\"%.0f\" y=\"46\" width=\"10\" height=\"10\" fill=\"#e0e0e0\" "
			"stroke=\"#888\" stroke-dasharray=\"2,1\"/><text x=\"%.0f\" y=\"55\">"
			"narrower than %.3g%%, merged</text>\n", x, x + 13, fl->minw);
	}
	/* what the profile could not see, on every graph */
	fprintf(f, "<text class=\"sub\" x=\"%u\" y=\"72\">", XPAD);
	if (fl->s->has_acct) {
		const struct ks_accounting *a = &fl->s->pool->acct;

		fprintf(f, "lost %llu, stack errors %llu, unnamed frames %llu of %llu",
			(unsigned long long)a->lost, (unsigned long long)a->stack_errors,
			(unsigned long long)a->frames_unnamed, (unsigned long long)a->frames);
		if (a->user_stacks)
			fprintf(f, ", user stacks complete %.1f%%",
				100.0 * a->user_complete / a->user_stacks);
		if (a->notes[0]) {
			fputs("; ", f);
			xml_esc(f, a->notes, 300);
		}
	} else {
		fputs("read from folded text: losses and stack errors were not recorded", f);
	}
	fputs("</text>\n", f);
	fprintf(f, "<text id=\"unzoom\" class=\"btn off\" x=\"%u\" y=\"20\">Reset Zoom</text>\n",
		XPAD);
	fprintf(f, "<text id=\"search\" class=\"btn\" x=\"%u\" y=\"20\" text-anchor=\"end\">"
		"Search</text>\n", fl->width - XPAD);
	fprintf(f, "<text id=\"clear\" class=\"btn off\" x=\"%u\" y=\"38\" text-anchor=\"end\">"
		"Clear</text>\n", fl->width - XPAD);
	fprintf(f, "<text id=\"matched\" x=\"%u\" y=\"%u\" text-anchor=\"end\"> </text>\n",
		fl->width - XPAD, fl->height - 12);
	fprintf(f, "<text id=\"details\" x=\"%u\" y=\"%u\"> </text>\n", XPAD, fl->height - 12);
	fprintf(f, "<text id=\"kstest\" x=\"%u\" y=\"%u\" font-size=\"1\" fill-opacity=\"0\">"
		"</text>\n", XPAD, fl->height - 2);
	fputs("<g id=\"frames\">\n", f);
	for (i = 0; i < fl->nboxes; i++) {
		const struct ks_box *b = &fl->boxes[i];
		struct rgb c = box_colour(fl, b, i);
		const char *name = box_name(fl, b, nbuf, sizeof(nbuf));

		box_geom(fl, b, &x, &y, &w);
		fprintf(f, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" "
			"fill=\"rgb(%d,%d,%d)\"%s/>", x, y, w, FRAME_H - 1, c.r, c.g, c.b,
			b->func == KS_BOX_REST && b->depth ? " class=\"rest\"" : "");
		/* a label only where one fits: most frames of a big graph have none */
		if (w > 6 + 3 * CHAR_W) {
			fprintf(f, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + FRAME_H - 4.5);
			text_fit(f, name, w);
			fputs("</text>", f);
		}
		fputc('\n', f);
	}
	fputs("</g>\n", f);
	fputs("<g id=\"tip\" class=\"hide\"><rect x=\"0\" y=\"0\" width=\"10\" height=\"36\" "
	      "rx=\"3\"/><text x=\"6\" y=\"14\"></text><text x=\"6\" y=\"30\"></text></g>\n", f);
	/* CDATA in HTML too: inside <svg> the HTML parser reads script text as markup */
	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", f);
	write_data(fl);
	fprintf(f, "%s]]></script>\n", flame_js);
	fputs("</svg>\n", f);
}

static void html_esc(FILE *f, const char *s)
{
	xml_esc(f, s, (size_t)-1);
}

static int cmp_fstat(const void *a, const void *b)
{
	const struct ks_fstat *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	return x->func < y->func ? -1 : x->func > y->func;
}

static const char table_js[] =
"(function(){'use strict';var t=document.getElementById('funcs'),dir={};\n"
"function sortBy(c){var th=t.tHead.rows[0].cells[c];if(!th)return;\n"
" var num=th.getAttribute('data-num')!==null,b=t.tBodies[0];\n"
" var rows=Array.prototype.slice.call(b.rows),d=dir[c]=-(dir[c]||(num?1:-1));\n"
" rows.sort(function(x,y){var p=x.cells[c].getAttribute('data-v')||x.cells[c].textContent,"
"q=y.cells[c].getAttribute('data-v')||y.cells[c].textContent;\n"
"  if(num){p=+p;q=+q;}return p<q?-d:p>q?d:0;});\n"
" rows.forEach(function(r){b.appendChild(r);});}\n"
"t.tHead.addEventListener('click',function(e){var th=e.target.closest('th');"
"if(th)sortBy(th.cellIndex);});\n"
"t.tBodies[0].addEventListener('click',function(e){var td=e.target.closest('td');\n"
" if(!td||td.cellIndex!==0||!window.ksFlame)return;\n"
" var n=td.textContent.replace(/[.*+?^${}()|[\\]\\\\]/g,'\\\\$&');\n"
" window.ksFlame.search('^'+n+'$');\n"
" document.getElementById('ksflame').scrollIntoView();});\n"
"var m=/[#&]sort=(\\d+)/.exec(location.hash);if(m)sortBy(+m[1]);\n"
"})();\n";

static int write_table(struct flame *fl)
{
	FILE *f = fl->f;
	struct ks_fstat *st = NULL;
	long n, i;
	char a[40], b[40];

	n = ks_stackset__functions(fl->s, &st);
	if (n < 0)
		return n;
	qsort(st, n, sizeof(*st), cmp_fstat);
	fprintf(f, "<h2>Functions</h2>\n<p class=\"note\">%ld functions", n);
	if (n > TABLE_MAX)
		fprintf(f, "; the %d with the largest total are listed", TABLE_MAX);
	fprintf(f, ". Click a header to sort, a name to highlight it in the graph. "
		"Total counts a function once per stack (recursion is not double counted).</p>\n");
	fprintf(f, "<table id=\"funcs\"><thead><tr><th>Function</th><th>Kind</th><th>Module</th>"
		"<th data-num>Self</th><th data-num>Self %%</th><th data-num>Total</th>"
		"<th data-num>Total %%</th>%s</tr></thead><tbody>\n",
		fl->diff ? "<th data-num>Base self %</th><th data-num>Base total %</th>"
			   "<th data-num>&#916; total pts</th>" : "");
	for (i = 0; i < n && i < TABLE_MAX; i++) {
		const struct ks_fstat *r = &st[i];
		const struct ks_sfunc *fn = &fl->s->funcs[r->func];
		double sp = fl->tv ? 100.0 * r->self / fl->tv : 0;
		double tp = fl->tv ? 100.0 * r->total / fl->tv : 0;

		fputs("<tr><td>", f);
		html_esc(f, fn->name);
		fprintf(f, "</td><td>%s</td><td>", kind_label(fn->kind));
		if (fn->module)
			html_esc(f, fn->module);
		fmt_count(a, sizeof(a), r->self);
		fmt_count(b, sizeof(b), r->total);
		fprintf(f, "</td><td data-v=\"%llu\">%s</td><td>%.2f</td><td data-v=\"%llu\">%s</td>"
			"<td>%.2f</td>", (unsigned long long)r->self, a, sp,
			(unsigned long long)r->total, b, tp);
		if (fl->diff) {
			double bs = fl->tb ? 100.0 * r->bself / fl->tb : 0;
			double bt = fl->tb ? 100.0 * r->btotal / fl->tb : 0;

			fprintf(f, "<td>%.2f</td><td>%.2f</td><td>%+.2f</td>", bs, bt, tp - bt);
		}
		fputs("</tr>\n", f);
	}
	fprintf(f, "</tbody></table>\n<script>\n%s</script>\n", table_js);
	free(st);
	return 0;
}

static void write_html(struct flame *fl)
{
	FILE *f = fl->f;
	const char *title = fl->o->title ? fl->o->title : fl->s->pool->title ? fl->s->pool->title
			    : "kscope profile";

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", f);
	html_esc(f, title);
	fputs("</title>\n<style>\nbody{font-family:sans-serif;margin:1em;background:#fff}\n"
	      "#graph{overflow-x:auto}\ntable{border-collapse:collapse;font-size:13px}\n"
	      "th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}\n"
	      "td:nth-child(-n+3),th:nth-child(-n+3){text-align:left}\n"
	      "td:first-child{font-family:monospace;cursor:pointer;max-width:60em;"
	      "overflow-wrap:anywhere}\n"
	      "th{cursor:pointer;background:#eee;position:sticky;top:0}\n"
	      ".note{color:#555}\npre{background:#f4f4f4;padding:.5em}\n</style></head><body>\n<h1>",
	      f);
	html_esc(f, title);
	fputs("</h1>\n", f);
	if (fl->s->has_acct) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);

		if (m) {
			ks_accounting_print(m, fl->s->pool);
			fclose(m);
			fputs("<pre>", f);
			html_esc(f, buf);
			fputs("</pre>\n", f);
			free(buf);
		}
	}
	fputs("<div id=\"graph\">\n", f);
	write_svg(fl, true);
	fputs("</div>\n", f);
	write_table(fl);
	fputs("</body></html>\n", f);
}

int ks_export_flame(FILE *f, struct ks_stackset *s, const struct ks_export_opts *o, bool html,
		    bool auto_min)
{
	struct flame fl = { .f = f, .s = s, .o = o };
	uint64_t min_w;
	long i;

	fl.diff = s->has_base;
	fl.tv = ks_stackset__total(s, false);
	fl.tb = ks_stackset__total(s, true);
	fl.total = fl.diff && o->negate ? fl.tb : fl.tv;
	fl.width = o->width ? o->width : 1200;
	fl.minw = o->minwidth_pct;
	for (;;) {
		min_w = (uint64_t)ceil(fl.total * fl.minw / 100.0);
		i = ks_stackset__layout(s, min_w, fl.diff && o->negate, &fl.boxes, &fl.max_depth);
		if (i < 0)
			return i;
		fl.nboxes = i;
		if (!auto_min || fl.nboxes <= AUTO_MAX_FRAMES || fl.minw >= 10)
			break;
		/* too heavy for a browser: merge more, and say so */
		free(fl.boxes);
		fl.boxes = NULL;
		fl.minw *= 1.5;
		fl.raised = true;
	}
	fl.scale = fl.total ? (double)(fl.width - 2 * XPAD) / fl.total : 0;
	fl.height = TOP_PAD + BOTTOM_PAD + (fl.max_depth + 1) * FRAME_H;
	for (i = 0; i < fl.nboxes; i++) {
		if (fl.boxes[i].func == KS_BOX_REST && fl.boxes[i].depth) {
			fl.nrest++;
			fl.nmerged += fl.boxes[i].nmerged;
		}
		if (fl.diff && fabs(delta_of(&fl, &fl.boxes[i])) > fl.max_delta)
			fl.max_delta = fabs(delta_of(&fl, &fl.boxes[i]));
	}
	if (fl.nboxes > 100000)
		ks_warn("%ld frames drawn: browsers take seconds per 30k frames, a larger "
			"--minwidth merges more", fl.nboxes);
	if (html)
		write_html(&fl);
	else
		write_svg(&fl, false);
	free(fl.boxes);
	fflush(f);
	return ferror(f) ? -EIO : 0;
}
