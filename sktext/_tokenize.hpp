// The compiled tokenizer of sktext (kinds "words" and "hash"): the word rules of
// sktext/splitting.py scanned over code points, vocabulary and n-gram lookups in
// open-addressing hash tables, counts written straight into CSR arrays.
//
// Everything here runs without the GIL: documents are read through the data
// pointers of Python str objects that the caller keeps alive, and threads only
// write to their own chunk. The Cython module _tokenize.pyx is the only user.
#pragma once

#include <Python.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sk {

// ---------------------------------------------------------------------------
// Character classes: one byte of flags a code point.
enum : uint8_t {
    WORD = 1,      // \w and not CJK
    CJK = 2,       // splitting._CJK
    MARK = 4,      // charclasses MARKS_*
    SYMBOL = 8,    // charclasses SYMBOLS_* and the skin tones
    ATTACHED = 16, // marks, skin tones, tag characters
    REGIONAL = 32, // regional indicators (two make a flag)
    TOKEN_MARK = 64 // splitting.TOKEN_MARKS: a token of its own in rules 3
};

typedef std::vector<std::pair<uint32_t, uint32_t>> Ranges;

static inline bool in_ranges(const Ranges& ranges, uint32_t c) {
    // ranges are sorted and disjoint: binary search for the last start <= c.
    size_t lo = 0, hi = ranges.size();
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ranges[mid].first <= c) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && c <= ranges[lo - 1].second;
}

struct Classes {
    std::vector<uint8_t> bmp;
    Ranges marks_astral, symbols_astral, token_marks_astral;

    void build(const Ranges& cjk, const Ranges& marks, const Ranges& symbols,
               const Ranges& token_marks) {
        bmp.assign(0x10000, 0);
        // Python's re: \w is str.isalnum() or "_" (sre's SRE_UNI_IS_WORD).
        for (uint32_t c = 0; c < 0x10000; ++c)
            if (c == '_' || Py_UNICODE_ISALNUM((Py_UCS4)c)) bmp[c] = WORD;
        auto mark_bmp = [&](const Ranges& ranges, uint8_t set, uint8_t clear) {
            for (auto& r : ranges)
                for (uint32_t c = r.first; c <= std::min<uint32_t>(r.second, 0xFFFF); ++c)
                    bmp[c] = (uint8_t)((bmp[c] & ~clear) | set);
        };
        mark_bmp(cjk, CJK, WORD);  // CJK characters are not word characters
        mark_bmp(marks, MARK | ATTACHED, 0);
        mark_bmp(symbols, SYMBOL, 0);
        mark_bmp(token_marks, TOKEN_MARK, 0);
        marks_astral.clear();
        symbols_astral.clear();
        token_marks_astral.clear();
        for (auto& r : marks) if (r.second >= 0x10000) marks_astral.push_back(r);
        for (auto& r : symbols) if (r.second >= 0x10000) symbols_astral.push_back(r);
        for (auto& r : token_marks)
            if (r.second >= 0x10000) token_marks_astral.push_back(r);
    }

    uint8_t astral(uint32_t c) const {
        uint8_t f = 0;
        if (c == '_' || Py_UNICODE_ISALNUM((Py_UCS4)c)) f |= WORD;
        if (in_ranges(marks_astral, c)) f |= MARK | ATTACHED;
        if (in_ranges(symbols_astral, c)) f |= SYMBOL;
        if (c >= 0x1F3FB && c <= 0x1F3FF) f |= SYMBOL | ATTACHED;  // skin tones
        if (c >= 0xE0020 && c <= 0xE007F) f |= ATTACHED;           // tags
        if (c >= 0x1F1E6 && c <= 0x1F1FF) f |= REGIONAL;
        if (in_ranges(token_marks_astral, c)) f |= TOKEN_MARK;
        return f;
    }

    inline uint8_t of(uint32_t c) const { return c < 0x10000 ? bmp[c] : astral(c); }

    // str.lower() of each Latin-1 character, itself Latin-1 (the caller checks
    // it): one-byte texts are lowercased while scanned, not copied by Python.
    uint8_t lower1[256];
    bool has_lower1 = false;

    void set_lower1(const uint8_t* table) {
        std::memcpy(lower1, table, 256);
        has_lower1 = true;
    }
};

// ---------------------------------------------------------------------------
// Hashes.
static inline uint64_t mix64(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t hash_bytes(const char* p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xC2B2AE3D27D4EB4FULL);
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0x100000001B3ULL;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    return mix64(h ^ w);
}

// BLAKE2b with an 8-byte digest and no key (RFC 7693), as hashlib.blake2b(
// digest_size=8): the word hash of splitting._stable_hash, read little-endian.
static inline uint64_t rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static const uint64_t BLAKE2B_IV[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

static const uint8_t BLAKE2B_SIGMA[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

static inline void blake2b_compress(uint64_t h[8], const uint8_t block[128], uint64_t t,
                                    bool last) {
    uint64_t m[16], v[16];
    for (int i = 0; i < 16; ++i) {
        uint64_t w = 0;
        for (int b = 7; b >= 0; --b) w = (w << 8) | block[i * 8 + b];
        m[i] = w;
    }
    for (int i = 0; i < 8; ++i) {
        v[i] = h[i];
        v[i + 8] = BLAKE2B_IV[i];
    }
    v[12] ^= t;
    if (last) v[14] = ~v[14];
#define SK_G(a, b, c, d, x, y)          \
    a = a + b + x;                      \
    d = rotr64(d ^ a, 32);              \
    c = c + d;                          \
    b = rotr64(b ^ c, 24);              \
    a = a + b + y;                      \
    d = rotr64(d ^ a, 16);              \
    c = c + d;                          \
    b = rotr64(b ^ c, 63);
    for (int r = 0; r < 12; ++r) {
        const uint8_t* s = BLAKE2B_SIGMA[r];
        SK_G(v[0], v[4], v[8], v[12], m[s[0]], m[s[1]]);
        SK_G(v[1], v[5], v[9], v[13], m[s[2]], m[s[3]]);
        SK_G(v[2], v[6], v[10], v[14], m[s[4]], m[s[5]]);
        SK_G(v[3], v[7], v[11], v[15], m[s[6]], m[s[7]]);
        SK_G(v[0], v[5], v[10], v[15], m[s[8]], m[s[9]]);
        SK_G(v[1], v[6], v[11], v[12], m[s[10]], m[s[11]]);
        SK_G(v[2], v[7], v[8], v[13], m[s[12]], m[s[13]]);
        SK_G(v[3], v[4], v[9], v[14], m[s[14]], m[s[15]]);
    }
#undef SK_G
    for (int i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[i + 8];
}

static inline uint64_t blake2b_64(const char* data, size_t n) {
    uint64_t h[8];
    for (int i = 0; i < 8; ++i) h[i] = BLAKE2B_IV[i];
    h[0] ^= 0x01010000ULL ^ 8;  // fanout 1, depth 1, no key, 8-byte digest
    uint8_t block[128];
    uint64_t t = 0;
    const uint8_t* p = (const uint8_t*)data;
    while (n > 128) {
        t += 128;
        blake2b_compress(h, p, t, false);
        p += 128;
        n -= 128;
    }
    std::memset(block, 0, 128);
    std::memcpy(block, p, n);
    t += n;
    blake2b_compress(h, block, t, true);
    return h[0];
}

// ---------------------------------------------------------------------------
// Open-addressing tables.

// Byte equality of two strings of n bytes, inline: words are short, and a
// call to memcmp costs more than comparing them.
static inline bool same_bytes(const char* a, const char* b, size_t n) {
    while (n >= 8) {
        uint64_t x, y;
        std::memcpy(&x, a, 8);
        std::memcpy(&y, b, 8);
        if (x != y) return false;
        a += 8;
        b += 8;
        n -= 8;
    }
    for (size_t k = 0; k < n; ++k)
        if (a[k] != b[k]) return false;
    return true;
}

// Distinct byte strings, numbered in the order first seen. A slot holds the
// hash, the length and the first 16 bytes (zero-padded) beside the entry, so
// that a probe reads only the slot for a word of up to 16 bytes, and the
// arena only for the rest of a longer one on a match.
struct StrTable {
    static const size_t HEAD = 16;
    struct Slot {
        uint64_t hash;
        int32_t entry;  // -1: empty
        uint32_t length;
        uint64_t head[2];
    };
    // A string to look up, its head prepared once for all the probes.
    struct Key {
        const char* p;
        size_t n;
        uint64_t hash;
        uint64_t head[2];
        Key(const char* p_, size_t n_, uint64_t h) : p(p_), n(n_), hash(h) {
            head[0] = head[1] = 0;
            std::memcpy(head, p, n < HEAD ? n : HEAD);
        }
    };
    std::vector<Slot> slots;
    std::vector<uint64_t> hashes;
    std::vector<size_t> offsets{0};
    std::string arena;
    size_t mask = 0;

    StrTable() { slots.assign(64, Slot{0, -1, 0, {0, 0}}); mask = 63; }
    size_t size() const { return hashes.size(); }
    const char* data(size_t e) const { return arena.data() + offsets[e]; }
    size_t length(size_t e) const { return offsets[e + 1] - offsets[e]; }

    inline bool matches(const Slot& slot, const Key& key) const {
        if (slot.hash != key.hash || slot.length != key.n || slot.head[0] != key.head[0] ||
            slot.head[1] != key.head[1])
            return false;
        return key.n <= HEAD ||
               same_bytes(data(slot.entry) + HEAD, key.p + HEAD, key.n - HEAD);
    }

    // The slot of the string, or the empty slot where it would go.
    inline size_t probe(const Key& key) const {
        size_t pos = key.hash & mask;
        while (true) {
            const Slot& slot = slots[pos];
            if (slot.entry < 0 || matches(slot, key)) return pos;
            pos = (pos + 1) & mask;
        }
    }

    int32_t find(const char* p, size_t n, uint64_t h) const {
        return slots[probe(Key(p, n, h))].entry;
    }

    int32_t intern(const char* p, size_t n, uint64_t h) {
        Key key(p, n, h);
        size_t pos = probe(key);
        if (slots[pos].entry >= 0) return slots[pos].entry;
        int32_t e = (int32_t)size();
        slots[pos] = Slot{h, e, (uint32_t)n, {key.head[0], key.head[1]}};
        hashes.push_back(h);
        arena.append(p, n);
        offsets.push_back(arena.size());
        if (size() * 2 > slots.size()) grow();
        return e;
    }

    void grow() {
        std::vector<Slot> old;
        old.swap(slots);
        slots.assign(old.size() * 2, Slot{0, -1, 0, {0, 0}});
        mask = slots.size() - 1;
        for (const Slot& slot : old) {
            if (slot.entry < 0) continue;
            size_t pos = slot.hash & mask;
            while (slots[pos].entry >= 0) pos = (pos + 1) & mask;
            slots[pos] = slot;
        }
    }
};

// uint64 key -> int64 value (>= 0), key and value side by side in a slot.
struct U64Table {
    struct Slot {
        uint64_t key;
        int64_t value;  // -1: empty
    };
    std::vector<Slot> slots;
    size_t mask = 0, count = 0;

    U64Table() { reset(32); }
    void reset(size_t capacity) {
        size_t n = 64;
        while (n < capacity * 2) n *= 2;
        slots.assign(n, Slot{0, -1});
        mask = n - 1;
        count = 0;
    }
    inline size_t home(uint64_t key) const { return mix64(key) & mask; }
    inline void prefetch(uint64_t key) const {
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(&slots[home(key)]);
#else
        (void)key;
#endif
    }
    int64_t find(uint64_t key) const {
        size_t pos = home(key);
        while (slots[pos].value >= 0) {
            if (slots[pos].key == key) return slots[pos].value;
            pos = (pos + 1) & mask;
        }
        return -1;
    }
    // The value of key, inserted with value 0 if absent.
    int64_t& slot(uint64_t key) {
        if ((count + 1) * 2 > slots.size()) grow();
        size_t pos = home(key);
        while (slots[pos].value >= 0) {
            if (slots[pos].key == key) return slots[pos].value;
            pos = (pos + 1) & mask;
        }
        slots[pos] = Slot{key, 0};
        ++count;
        return slots[pos].value;
    }
    void grow() {
        std::vector<Slot> old;
        old.swap(slots);
        slots.assign(old.size() * 2, Slot{0, -1});
        mask = slots.size() - 1;
        for (const Slot& s : old) {
            if (s.value < 0) continue;
            size_t pos = home(s.key);
            while (slots[pos].value >= 0) pos = (pos + 1) & mask;
            slots[pos] = s;
        }
    }
};

// ---------------------------------------------------------------------------
// UTF-8 as Python's str.encode("utf-8", "surrogatepass") writes it.
static inline void put_utf8(std::string& out, uint32_t c) {
    if (c < 0x80) {
        out.push_back((char)c);
    } else if (c < 0x800) {
        out.push_back((char)(0xC0 | (c >> 6)));
        out.push_back((char)(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back((char)(0xE0 | (c >> 12)));
        out.push_back((char)(0x80 | ((c >> 6) & 0x3F)));
        out.push_back((char)(0x80 | (c & 0x3F)));
    } else {
        out.push_back((char)(0xF0 | (c >> 18)));
        out.push_back((char)(0x80 | ((c >> 12) & 0x3F)));
        out.push_back((char)(0x80 | ((c >> 6) & 0x3F)));
        out.push_back((char)(0x80 | (c & 0x3F)));
    }
}

// ---------------------------------------------------------------------------
// Documents and chunks.
struct Doc {
    int kind;  // PyUnicode_1BYTE_KIND, 2 or 4
    int lower;  // lowercase while scanning (one-byte texts; Classes::lower1)
    const void* data;
    Py_ssize_t length;
};

// A run of documents that one thread scans and counts.
struct Chunk {
    size_t first = 0, last = 0;  // documents [first, last)
    StrTable words;              // distinct words of the chunk
    std::vector<int64_t> word_counts;
    std::vector<int32_t> tokens;  // local word id of each token, in order
    bool direct = false;  // tokens are vocabulary ids instead (Scanner::direct)
    std::vector<int64_t> doc_tokens;  // tokens of each document
    // Resolved against a model: per local word.
    std::vector<int64_t> ids;    // vocabulary id (-1 unknown) or hash bucket
    std::vector<uint64_t> keys;  // what n-grams hash: ids, or 64-bit word hashes
    std::vector<int64_t> gram_start;  // char n-gram ids of word w: grams[gram_start[w]..[w+1]]
    std::vector<int64_t> grams;
    // Output: CSR pieces.
    std::vector<int64_t> row_nnz;
    std::vector<int64_t> indices;
    std::vector<float> values;
};

// The UTF-8 of the code points at(start) .. at(end - 1) of a one-byte text
// (1 byte below 0x80, else 2), written into out; its size.
template <typename Read>
static inline size_t latin1_utf8(Read at, Py_ssize_t start, Py_ssize_t end,
                                 std::vector<char>& out) {
    size_t need = 2 * (size_t)(end - start);
    if (out.size() < need) out.resize(need);
    char* o = out.data();
    size_t k = 0;
    for (Py_ssize_t j = start; j < end; ++j) {
        uint32_t c = at(j);
        if (c < 0x80) {
            o[k++] = (char)c;
        } else {
            o[k++] = (char)(0xC0 | (c >> 6));
            o[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    return k;
}

struct Scanner {
    const Classes* classes;
    int rules;  // 1, 2 or 3 (splitting.LEGACY_WORD_RULES, UNICODE_WORD_RULES, WORD_RULES)
    // transform of plain words: tokens are looked up here, in the fitted
    // vocabulary, as they are scanned (no table of the chunk's words).
    const StrTable* direct = nullptr;

    // The words of the n code points at(0) .. at(n - 1) of a text whose
    // characters are T (at reads them, lowercased or not).
    template <typename T, typename Read>
    void scan(Read at, Py_ssize_t n, Chunk& chunk, std::string& buffer,
              std::vector<char>& bytes) const {
        const Classes& cls = *classes;
        Py_ssize_t i = 0;
        int64_t before = (int64_t)chunk.tokens.size();
        while (i < n) {
            uint32_t c = at(i);
            uint8_t f = cls.of(c);
            Py_ssize_t start = i;
            if (rules == 1) {
                if (f & CJK) {
                    ++i;
                } else if (f & WORD) {
                    ++i;
                    while (i < n && (cls.of(at(i)) & WORD)) ++i;
                } else {
                    ++i;
                    continue;
                }
            } else if (f & WORD) {
                ++i;
                while (i < n && (cls.of(at(i)) & (WORD | MARK))) ++i;
            } else if (f & CJK) {
                ++i;
                while (i < n && (cls.of(at(i)) & MARK)) ++i;
            } else if (f & (SYMBOL | REGIONAL)) {
                if ((f & REGIONAL) && i + 1 < n && (cls.of(at(i + 1)) & REGIONAL)) i += 2;
                else ++i;
                while (i < n && (cls.of(at(i)) & ATTACHED)) ++i;
                while (i + 1 < n && at(i) == 0x200D && (cls.of(at(i + 1)) & SYMBOL)) {
                    i += 2;
                    while (i < n && (cls.of(at(i)) & ATTACHED)) ++i;
                }
            } else if (rules >= 3 && (f & TOKEN_MARK)) {
                ++i;  // alone: "?!" is two tokens
            } else {
                ++i;
                continue;
            }
            const char* word;
            size_t size;
            if (sizeof(T) == 1) {
                size = latin1_utf8(at, start, i, bytes);
                word = bytes.data();
            } else {
                buffer.clear();
                for (Py_ssize_t j = start; j < i; ++j) put_utf8(buffer, at(j));
                word = buffer.data();
                size = buffer.size();
            }
            uint64_t hash = hash_bytes(word, size);
            if (direct) {
                chunk.tokens.push_back(direct->find(word, size, hash));
                continue;
            }
            int32_t w = chunk.words.intern(word, size, hash);
            if ((size_t)w == chunk.word_counts.size()) chunk.word_counts.push_back(0);
            chunk.word_counts[w] += 1;
            chunk.tokens.push_back(w);
        }
        chunk.doc_tokens.push_back((int64_t)chunk.tokens.size() - before);
    }

    void scan_chunk(const Doc* docs, Chunk& chunk) const {
        std::string buffer;
        std::vector<char> bytes;
        size_t chars = 0;
        for (size_t d = chunk.first; d < chunk.last; ++d) chars += (size_t)docs[d].length;
        chunk.tokens.reserve(chars / 5);  // about a token a word of English
        chunk.doc_tokens.reserve(chunk.last - chunk.first);
        chunk.direct = direct != nullptr;
        const uint8_t* lower1 = classes->lower1;
        for (size_t d = chunk.first; d < chunk.last; ++d) {
            const Doc& doc = docs[d];
            if (doc.kind == PyUnicode_1BYTE_KIND) {
                const Py_UCS1* s = (const Py_UCS1*)doc.data;
                if (doc.lower)
                    scan<Py_UCS1>([=](Py_ssize_t j) -> uint32_t { return lower1[s[j]]; },
                                  doc.length, chunk, buffer, bytes);
                else
                    scan<Py_UCS1>([=](Py_ssize_t j) -> uint32_t { return s[j]; }, doc.length,
                                  chunk, buffer, bytes);
            } else if (doc.kind == PyUnicode_2BYTE_KIND) {
                const Py_UCS2* s = (const Py_UCS2*)doc.data;
                scan<Py_UCS2>([=](Py_ssize_t j) -> uint32_t { return s[j]; }, doc.length, chunk,
                              buffer, bytes);
            } else {
                const Py_UCS4* s = (const Py_UCS4*)doc.data;
                scan<Py_UCS4>([=](Py_ssize_t j) -> uint32_t { return s[j]; }, doc.length, chunk,
                              buffer, bytes);
            }
        }
    }
};

// The code-point boundaries of a UTF-8 string.
static inline void utf8_boundaries(const char* p, size_t n, std::vector<size_t>& out) {
    out.clear();
    for (size_t i = 0; i < n; ++i)
        if (((unsigned char)p[i] & 0xC0) != 0x80) out.push_back(i);
    out.push_back(n);
}

// Calls fn(gram, length) for each character n-gram of "<word>" (Tokenizer._grams).
template <typename F>
static inline void for_each_gram(const char* word, size_t n, int low, int high,
                                 std::string& marked, std::vector<size_t>& bounds, F fn) {
    marked.assign("<");
    marked.append(word, n);
    marked.push_back('>');
    utf8_boundaries(marked.data(), marked.size(), bounds);
    size_t chars = bounds.size() - 1;
    for (int g = low; g <= high; ++g) {
        if ((size_t)g > chars) break;
        for (size_t i = 0; i + g <= chars; ++i)
            fn(marked.data() + bounds[i], bounds[i + g] - bounds[i]);
    }
}

// The fitted features: what transform looks up.
struct Model {
    bool hashed = false;
    uint64_t n_buckets = 1;
    StrTable vocabulary;  // entry e has id e
    bool base_features = true;  // word_ngrams starts at 1
    int ngram_low = 2, ngram_high = 1;  // n-gram lengths that are features
    std::vector<U64Table> ngram_columns;  // per length: key -> column
    int char_low = 0, char_high = -1;  // no character n-grams when low > high
    StrTable char_vocabulary;
    int64_t char_offset = 0;

    // Columns before max_features: every column is below.
    uint64_t n_columns() const {
        return hashed ? n_buckets : (uint64_t)char_offset + char_vocabulary.size();
    }
};

static const uint64_t MULTIPLIER = 0x9E3779B97F4A7C15ULL;  // tokenizer._MULTIPLIER

static inline uint64_t window_hash(const uint64_t* keys, int n) {
    uint64_t key = keys[0];
    for (int j = 1; j < n; ++j) key = key * MULTIPLIER + keys[j] + (uint64_t)j;
    return key ^ (key >> 31);
}

// Look up each local word of a chunk: vocabulary id or bucket, n-gram key,
// character n-gram ids.
static void resolve_chunk(const Model& model, Chunk& chunk) {
    size_t n_words = chunk.words.size();
    chunk.ids.assign(n_words, -1);
    chunk.keys.assign(n_words, 0);
    for (size_t w = 0; w < n_words; ++w) {
        const char* p = chunk.words.data(w);
        size_t n = chunk.words.length(w);
        if (model.hashed) {
            uint64_t code = blake2b_64(p, n);
            chunk.keys[w] = code;
            chunk.ids[w] = (int64_t)(code % model.n_buckets);
        } else {
            int64_t id = model.vocabulary.find(p, n, chunk.words.hashes[w]);
            chunk.ids[w] = id;
            chunk.keys[w] = (uint64_t)id;
        }
    }
    chunk.gram_start.assign(1, 0);
    chunk.grams.clear();
    if (model.hashed || model.char_low > model.char_high) return;
    std::string marked;
    std::vector<size_t> bounds;
    for (size_t w = 0; w < n_words; ++w) {
        for_each_gram(chunk.words.data(w), chunk.words.length(w), model.char_low,
                      model.char_high, marked, bounds, [&](const char* g, size_t n) {
                          int32_t id = model.char_vocabulary.find(g, n, hash_bytes(g, n));
                          if (id >= 0) chunk.grams.push_back(id);
                      });
        chunk.gram_start.push_back((int64_t)chunk.grams.size());
    }
}

// Sorts the values of a, all below 2^bits, ascending: a least-significant-digit
// radix sort in as many passes as make the least work for a's size (a pass
// costs its buckets and two reads of a), insertion sort when a is short.
// tmp and counts are scratch.
static void sort_columns(std::vector<int64_t>& a, std::vector<int64_t>& tmp,
                         std::vector<uint32_t>& counts, int bits) {
    size_t n = a.size();
    if (n <= 32) {
        for (size_t k = 1; k < n; ++k) {
            int64_t x = a[k];
            size_t j = k;
            for (; j > 0 && a[j - 1] > x; --j) a[j] = a[j - 1];
            a[j] = x;
        }
        return;
    }
    int passes = 1, digit = bits;
    double best = -1;
    for (int p = 1; p <= 8; ++p) {
        int d = (bits + p - 1) / p;
        if (d > 16) continue;
        double cost = (double)p * (2.0 * (double)(1u << d) + 2.0 * (double)n);
        if (best < 0 || cost < best) best = cost, passes = p, digit = d;
    }
    size_t buckets = (size_t)1 << digit;
    uint64_t mask = buckets - 1;
    if (counts.size() < buckets) counts.resize(buckets);
    tmp.resize(n);
    int64_t* from = a.data();
    int64_t* to = tmp.data();
    for (int p = 0; p < passes; ++p) {
        int shift = p * digit;
        uint32_t* c = counts.data();
        std::memset(c, 0, buckets * sizeof(uint32_t));
        for (size_t k = 0; k < n; ++k) ++c[((uint64_t)from[k] >> shift) & mask];
        uint32_t sum = 0;
        for (size_t k = 0; k < buckets; ++k) {
            uint32_t here = c[k];
            c[k] = sum;
            sum += here;
        }
        for (size_t k = 0; k < n; ++k) to[c[((uint64_t)from[k] >> shift) & mask]++] = from[k];
        std::swap(from, to);
    }
    if (from != a.data()) a.swap(tmp);
}

// Bits of the largest column of model: what sort_columns sorts on.
static inline int column_bits(const Model& model) {
    uint64_t top = model.n_columns() > 0 ? model.n_columns() - 1 : 0;
    int bits = 1;
    while (bits < 64 && (top >> bits) != 0) ++bits;
    return bits;
}

// Counts of every document of a resolved chunk, as sorted CSR rows; columns
// renumbered by column_map (max_features) unless it is null.
static void count_chunk(const Model& model, const int64_t* column_map, Chunk& chunk) {
    chunk.row_nnz.clear();
    chunk.indices.clear();
    chunk.values.clear();
    chunk.row_nnz.reserve(chunk.doc_tokens.size());
    chunk.indices.reserve(chunk.tokens.size() * 2);
    chunk.values.reserve(chunk.tokens.size() * 2);
    const int bits = column_bits(model);
    std::vector<int64_t> columns, scratch;
    std::vector<uint32_t> buckets;
    std::vector<uint64_t> keys, windows;
    std::vector<int> lengths;
    const int64_t* word_ids = chunk.ids.data();
    const uint64_t* word_keys = chunk.keys.data();
    size_t position = 0;
    for (int64_t length : chunk.doc_tokens) {
        const int32_t* tokens = chunk.tokens.data() + position;
        position += (size_t)length;
        columns.clear();
        keys.resize(length);
        windows.clear();
        lengths.clear();
        // known: the in-vocabulary tokens ending at t, in a row.
        int64_t known = 0;
        for (int64_t t = 0; t < length; ++t) {
            int64_t id = chunk.direct ? tokens[t] : word_ids[tokens[t]];
            keys[t] = chunk.direct ? (uint64_t)id : word_keys[tokens[t]];
            if (id < 0) {
                known = 0;
                continue;
            }
            ++known;
            if (model.base_features) columns.push_back(id);
            for (int n = model.ngram_low; n <= model.ngram_high; ++n) {
                if (known < n) break;
                windows.push_back(window_hash(keys.data() + t - n + 1, n));
                lengths.push_back(n - model.ngram_low);
            }
        }
        if (model.hashed) {
            for (uint64_t window : windows) columns.push_back((int64_t)(window % model.n_buckets));
        } else {
            // The tables are larger than the caches: fetch a few probes ahead.
            const size_t ahead = 8;
            size_t n_windows = windows.size();
            for (size_t k = 0; k < std::min(ahead, n_windows); ++k)
                model.ngram_columns[lengths[k]].prefetch(windows[k]);
            for (size_t k = 0; k < n_windows; ++k) {
                if (k + ahead < n_windows)
                    model.ngram_columns[lengths[k + ahead]].prefetch(windows[k + ahead]);
                int64_t column = model.ngram_columns[lengths[k]].find(windows[k]);
                if (column >= 0) columns.push_back(column);
            }
        }
        if (!chunk.grams.empty())
            for (int64_t t = 0; t < length; ++t)
                for (int64_t g = chunk.gram_start[tokens[t]]; g < chunk.gram_start[tokens[t] + 1];
                     ++g)
                    columns.push_back(model.char_offset + chunk.grams[g]);
        if (column_map) {
            size_t kept = 0;
            for (int64_t c : columns)
                if (column_map[c] >= 0) columns[kept++] = column_map[c];
            columns.resize(kept);
        }
        sort_columns(columns, scratch, buckets, bits);
        int64_t nnz = 0;
        for (size_t k = 0; k < columns.size();) {
            size_t end = k + 1;
            while (end < columns.size() && columns[end] == columns[k]) ++end;
            chunk.indices.push_back(columns[k]);
            chunk.values.push_back((float)(end - k));
            ++nnz;
            k = end;
        }
        chunk.row_nnz.push_back(nnz);
    }
}

// Runs job(chunk index) for every chunk on n_threads threads.
template <typename F>
static void parallel_chunks(size_t n_chunks, int n_threads, F job) {
    if (n_threads <= 1 || n_chunks <= 1) {
        for (size_t k = 0; k < n_chunks; ++k) job(k);
        return;
    }
    std::atomic<size_t> next(0);
    std::vector<std::thread> threads;
    int n = (int)std::min<size_t>((size_t)n_threads, n_chunks);
    for (int t = 0; t < n; ++t)
        threads.emplace_back([&]() {
            for (size_t k = next++; k < n_chunks; k = next++) job(k);
        });
    for (auto& thread : threads) thread.join();
}

// ---------------------------------------------------------------------------
// Learning (fit).

// Distinct words of all chunks with their total counts.
struct WordCounts {
    StrTable words;
    std::vector<int64_t> counts;
};

static void merge_words(const std::vector<Chunk>& chunks, WordCounts& out) {
    for (const Chunk& chunk : chunks)
        for (size_t w = 0; w < chunk.words.size(); ++w) {
            int32_t e = out.words.intern(chunk.words.data(w), chunk.words.length(w),
                                         chunk.words.hashes[w]);
            if ((size_t)e == out.counts.size()) out.counts.push_back(0);
            out.counts[e] += chunk.word_counts[w];
        }
}

// Entries of table counted min_count times or more, by (count desc, bytes):
// sktext.splitting.ordered_vocabulary, since UTF-8 orders as code points do.
static std::vector<int32_t> ordered(const StrTable& table, const std::vector<int64_t>& counts,
                                    int64_t min_count) {
    std::vector<int32_t> kept;
    for (size_t e = 0; e < table.size(); ++e)
        if (counts[e] >= min_count) kept.push_back((int32_t)e);
    std::sort(kept.begin(), kept.end(), [&](int32_t a, int32_t b) {
        if (counts[a] != counts[b]) return counts[a] > counts[b];
        size_t la = table.length(a), lb = table.length(b);
        int c = std::memcmp(table.data(a), table.data(b), std::min(la, lb));
        return c != 0 ? c < 0 : la < lb;
    });
    return kept;
}

static void fill_table(StrTable& out, const StrTable& from, const std::vector<int32_t>& order) {
    out = StrTable();
    for (int32_t e : order) out.intern(from.data(e), from.length(e), from.hashes[e]);
}

// The character n-grams of the distinct words counted min_count times, in order.
static void learn_char_vocabulary(const WordCounts& words, int low, int high, int64_t min_count,
                                  StrTable& out) {
    StrTable grams;
    std::vector<int64_t> counts;
    std::string marked;
    std::vector<size_t> bounds;
    for (size_t w = 0; w < words.words.size(); ++w) {
        int64_t count = words.counts[w];
        for_each_gram(words.words.data(w), words.words.length(w), low, high, marked, bounds,
                      [&](const char* g, size_t n) {
                          int32_t e = grams.intern(g, n, hash_bytes(g, n));
                          if ((size_t)e == counts.size()) counts.push_back(0);
                          counts[e] += count;
                      });
    }
    fill_table(out, grams, ordered(grams, counts, min_count));
}

// The keys of the word n-grams of length n counted min_count times, among
// those of part `part` of n_parts (split by hash, so that threads count
// disjoint keys), unsorted.
static std::vector<uint64_t> learn_ngrams(const std::vector<Chunk>& chunks, int n,
                                          int64_t min_count, size_t part, size_t n_parts) {
    U64Table counts;
    std::vector<uint64_t> keys;
    for (const Chunk& chunk : chunks) {
        size_t position = 0;
        for (int64_t length : chunk.doc_tokens) {
            const int32_t* tokens = chunk.tokens.data() + position;
            position += (size_t)length;
            keys.resize(length);
            int64_t known = 0;
            for (int64_t t = 0; t < length; ++t) {
                keys[t] = chunk.keys[tokens[t]];
                known = chunk.ids[tokens[t]] >= 0 ? known + 1 : 0;
                if (known < n) continue;
                uint64_t window = window_hash(keys.data() + t - n + 1, n);
                if (n_parts == 1 || (mix64(window) >> 40) % n_parts == part)
                    counts.slot(window) += 1;
            }
        }
    }
    std::vector<uint64_t> kept;
    for (const U64Table::Slot& s : counts.slots)
        if (s.value >= min_count) kept.push_back(s.key);
    return kept;
}

}  // namespace sk

namespace sk {

// ---------------------------------------------------------------------------
// Drivers called from _tokenize.pyx.
struct Job {
    Scanner scanner;
    std::vector<Doc> docs;
    std::vector<Chunk> chunks;
    int n_threads = 1;
    const int64_t* column_map = nullptr;  // max_features; null for none

    // Contiguous chunks of documents of about equal length: several a thread,
    // so that a thread that finishes early takes the next.
    void plan() {
        size_t n_docs = docs.size();
        size_t n_chunks = n_threads <= 1 ? 1 : (size_t)n_threads * 4;
        n_chunks = std::max<size_t>(1, std::min(n_chunks, n_docs));
        double total = 0;
        for (const Doc& d : docs) total += (double)d.length + 1;
        chunks.assign(n_chunks, Chunk());
        size_t d = 0;
        double seen = 0;
        for (size_t k = 0; k < n_chunks; ++k) {
            chunks[k].first = d;
            double target = total * (double)(k + 1) / (double)n_chunks;
            while (d < n_docs && (k + 1 == n_chunks || seen < target)) {
                seen += (double)docs[d].length + 1;
                ++d;
            }
            chunks[k].last = d;
        }
    }

    void scan() {
        parallel_chunks(chunks.size(), n_threads,
                        [&](size_t k) { scanner.scan_chunk(docs.data(), chunks[k]); });
    }

    void resolve(const Model& model) {
        parallel_chunks(chunks.size(), n_threads,
                        [&](size_t k) { resolve_chunk(model, chunks[k]); });
    }

    void count(const Model& model) {
        parallel_chunks(chunks.size(), n_threads,
                        [&](size_t k) { count_chunk(model, column_map, chunks[k]); });
    }

    // transform: every step of a chunk on one thread, one pass over its text.
    void transform(const Model& model) {
        // Hashes and character n-grams are computed once a distinct word of
        // the chunk; plain words are looked up directly.
        bool direct = !model.hashed && model.char_low > model.char_high;
        scanner.direct = direct ? &model.vocabulary : nullptr;
        parallel_chunks(chunks.size(), n_threads, [&](size_t k) {
            scanner.scan_chunk(docs.data(), chunks[k]);
            if (!direct) resolve_chunk(model, chunks[k]);
            count_chunk(model, column_map, chunks[k]);
        });
    }

    size_t nnz() const {
        size_t n = 0;
        for (const Chunk& c : chunks) n += c.indices.size();
        return n;
    }

    // The chunks' CSR pieces written into indptr (n_docs + 1), indices, data,
    // each chunk into its own part, on the job's threads.
    template <typename I>
    void write(I* indptr, I* indices, float* data) const {
        std::vector<size_t> first_row(chunks.size()), first_value(chunks.size());
        size_t row = 0, at = 0;
        for (size_t k = 0; k < chunks.size(); ++k) {
            first_row[k] = row;
            first_value[k] = at;
            row += chunks[k].row_nnz.size();
            at += chunks[k].indices.size();
        }
        indptr[0] = 0;
        parallel_chunks(chunks.size(), n_threads, [&](size_t k) {
            const Chunk& c = chunks[k];
            I end = (I)first_value[k];
            I* out = indptr + first_row[k] + 1;
            for (size_t r = 0; r < c.row_nnz.size(); ++r) out[r] = end += (I)c.row_nnz[r];
            I* to = indices + first_value[k];
            for (size_t v = 0; v < c.indices.size(); ++v) to[v] = (I)c.indices[v];
            if (!c.values.empty())
                std::memcpy(data + first_value[k], c.values.data(), c.values.size() * sizeof(float));
        });
    }
};

// fit, after scan: the vocabulary (words kind) and character n-grams learned
// from the merged word counts, then the word ids of every chunk.
static void learn_words(Job& job, Model& model, int64_t min_count) {
    WordCounts words;
    merge_words(job.chunks, words);
    if (!model.hashed) fill_table(model.vocabulary, words.words, ordered(words.words, words.counts, min_count));
    if (!model.hashed && model.char_low <= model.char_high)
        learn_char_vocabulary(words, model.char_low, model.char_high, min_count,
                              model.char_vocabulary);
    job.resolve(model);
}

// fit, after learn_words: the kept n-gram keys of each length, the n-gram
// lengths learned on threads (one a length).
static void learn_all_ngrams(const Job& job, const Model& model, int64_t min_count,
                             std::vector<std::vector<uint64_t>>& out) {
    size_t n_sizes = (size_t)std::max(model.ngram_high - model.ngram_low + 1, 0);
    size_t n_parts = (size_t)std::max(job.n_threads, 1);
    std::vector<std::vector<uint64_t>> parts(n_sizes * n_parts);
    parallel_chunks(parts.size(), job.n_threads, [&](size_t k) {
        parts[k] = learn_ngrams(job.chunks, model.ngram_low + (int)(k / n_parts), min_count,
                                k % n_parts, n_parts);
    });
    out.assign(n_sizes, std::vector<uint64_t>());
    parallel_chunks(n_sizes, job.n_threads, [&](size_t size) {
        for (size_t part = 0; part < n_parts; ++part) {
            const std::vector<uint64_t>& keys = parts[size * n_parts + part];
            out[size].insert(out[size].end(), keys.begin(), keys.end());
        }
        std::sort(out[size].begin(), out[size].end());
    });
}

// Columns of the n-grams of each length: key -> offset + its position.
static void set_ngram_columns(Model& model, const std::vector<std::vector<uint64_t>>& keys,
                              int64_t offset) {
    model.ngram_columns.assign(keys.size(), U64Table());
    for (size_t k = 0; k < keys.size(); ++k) {
        model.ngram_columns[k].reset(keys[k].size());
        for (size_t i = 0; i < keys[k].size(); ++i)
            model.ngram_columns[k].slot(keys[k][i]) = offset + (int64_t)i;
        offset += (int64_t)keys[k].size();
    }
    model.char_offset = offset;
}

}  // namespace sk
