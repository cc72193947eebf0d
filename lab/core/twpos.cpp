// The Twitter POS corpus reader, the word-vector reader, the substitute vectors and the window
// features (see twpos.hpp).
#include "lab/core/twpos.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>

#include "lab/core/error.hpp"

namespace gelu::lab {
namespace fs = std::filesystem;
namespace {

// The substitute's identity in the data set fingerprint: change it with any change of
// SubstituteVector or WordTypeFeatures, so that no results folder pools two feature versions.
constexpr const char* kSubstituteScheme = "twpos-substitute-v1";
// The projection's fixed seed ("geluwtp1"): independent of the run's seed and activation.
constexpr std::uint64_t kProjectionSeed = 0x67656c7577747031ULL;
// Code points past Unicode's range: the word-boundary marks and the whole-word feature's prefix,
// which no character of a word can collide with.
constexpr char32_t kBegin = 0x110001, kEnd = 0x110002, kWholeWord = 0x110003;
constexpr std::size_t kMaxGram = 4;

std::string Where(const fs::path& file, std::size_t line) {
  return file.string() + ":" + std::to_string(line);
}

// A line as it may appear in a message: at most 40 bytes.
std::string Quote(std::string_view s) {
  return "'" + std::string(s.substr(0, 40)) + (s.size() > 40 ? "...'" : "'");
}

std::string TagList() {
  std::string s;
  for (const auto t : kTwposTags) s += (s.empty() ? "" : " ") + std::string(t);
  return s;
}

std::string ReadWhole(const fs::path& file, const char* what) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw LabError(file.string() + ": cannot open " + what + " for reading");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw LabError(file.string() + ": read error");
  return s.str();
}

std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// UTF-8 to code points; a byte that does not start a valid sequence becomes 0xDC00 + byte (as
// Python's surrogateescape), so every byte string has a fixed decoding.
std::u32string DecodeUtf8(std::string_view s) {
  std::u32string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t n = b < 0x80         ? 1
                          : (b >> 5) == 6  ? 2
                          : (b >> 4) == 14 ? 3
                          : (b >> 3) == 30 ? 4
                                           : 0;
    bool ok = n > 0 && i + n <= s.size();
    char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1FU) : n == 3 ? (b & 0x0FU) : (b & 0x07U);
    for (std::size_t k = 1; ok && k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      ok = (c >> 6) == 2;
      cp = (cp << 6) | (c & 0x3FU);
    }
    if (ok) {
      out.push_back(cp);
      i += n;
    } else {
      out.push_back(0xDC00 + b);
      ++i;
    }
  }
  return out;
}

bool IsAsciiPunct(char32_t c) {
  return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60) ||
         (c >= 0x7B && c <= 0x7E);
}

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsUrl(const std::string& lower) {
  if (lower.rfind("http:", 0) == 0 || lower.rfind("https:", 0) == 0 ||
      lower.rfind("www.", 0) == 0 || Contains(lower, "://")) {
    return true;
  }
  for (const char* tld : {".com", ".net", ".org"}) {  // bare domains: blog.blogspot.com/2010/...
    const std::size_t at = lower.find(tld);
    if (at != std::string::npos && at > 0) {
      const std::size_t after = at + std::string_view(tld).size();
      if (after == lower.size() || lower[after] == '/') return true;
    }
  }
  return false;
}

// Western emoticons (:) ;-P D: <3 =]), kaomoji (^_^ -__- o_O), the heart and smiley symbols.
bool IsEmoticon(std::string_view word, const std::u32string& cps) {
  static const std::u32string kSymbols = U"\u2665\u2661\u2764\u263A\u263B\u2639";
  if (!cps.empty() && std::all_of(cps.begin(), cps.end(), [](char32_t c) {
        return kSymbols.find(c) != std::u32string::npos;
      })) {
    return true;
  }
  const std::string lower = LowerAscii(word);
  if (lower.size() >= 2 && lower.rfind("<3", 0) == 0 &&
      lower.find_first_not_of('3', 1) == std::string::npos) {
    return true;
  }
  if (lower == "xd" || lower == "xdd" || lower == "xddd" || lower == "^^") return true;
  if (lower.size() < 2 || lower.size() > 10) return false;
  // Eyes and a mouth, in either order, with noses and tears between.
  constexpr std::string_view kEyes = ":;=8", kMouths = ")(][}{|/\\dpo3*$@xc<>", kOther = "-'^,\"~";
  bool eyes = false, mouth = false, other = true;
  for (const char c : lower) {
    const bool e = kEyes.find(c) != std::string_view::npos;
    const bool m = kMouths.find(c) != std::string_view::npos;
    eyes = eyes || e;
    mouth = mouth || m;
    other = other && (e || m || kOther.find(c) != std::string_view::npos);
  }
  if (eyes && mouth && other) return true;
  // Kaomoji: the same kind of eye on both sides of underscores, in optional parentheses.
  std::string_view s = lower;
  if (s.front() == '(') s.remove_prefix(1);
  if (!s.empty() && s.back() == ')') s.remove_suffix(1);
  constexpr std::string_view kKaoEyes = "^-o0t><;xv";
  return s.size() >= 3 && kKaoEyes.find(s.front()) != std::string_view::npos &&
         kKaoEyes.find(s.back()) != std::string_view::npos &&
         s.substr(1, s.size() - 2).find_first_not_of('_') == std::string_view::npos;
}

// One hashed feature's signs for the kHashDims projection dims (bit d: +1 or -1 on dim d).
std::uint64_t FeatureSigns(const char32_t* begin, std::size_t n) {
  std::uint64_t h = SplitMix64(kProjectionSeed ^ n);
  for (std::size_t i = 0; i < n; ++i) h = SplitMix64(h ^ begin[i]);
  return h;
}
static_assert(kHashDims <= 64, "one 64-bit hash gives the signs of every projection dim");

void AddSigns(std::uint64_t signs, double* acc) {
  for (std::size_t d = 0; d < kHashDims; ++d) acc[d] += ((signs >> d) & 1U) != 0 ? 1.0 : -1.0;
}

std::vector<Tweet> ParseTwpos(const fs::path& file, const std::string& text) {
  std::vector<Tweet> tweets;
  Tweet cur;
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) {
      throw LabError(Where(file, line_no) +
                     ": truncated: the file ends inside a line (no newline after " +
                     Quote(std::string_view(text).substr(pos)) + ")");
    }
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (!cur.tokens.empty()) tweets.push_back(std::move(cur));
      cur = Tweet{};
      continue;
    }
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      throw LabError(Where(file, line_no) + ": no tab in " + Quote(line) +
                     " (expected token<TAB>tag, an empty line after each tweet)");
    }
    if (line.find('\t', tab + 1) != std::string_view::npos) {
      throw LabError(Where(file, line_no) + ": more than one tab in " + Quote(line) +
                     " (expected token<TAB>tag)");
    }
    if (tab == 0) throw LabError(Where(file, line_no) + ": empty token before the tab");
    const std::string_view tag = line.substr(tab + 1);
    const int index = TwposTagIndex(tag);
    if (index < 0) {
      throw LabError(Where(file, line_no) + ": tag " + Quote(tag) + " is not one of the 25 tags (" +
                     TagList() + ")");
    }
    cur.tokens.emplace_back(line.substr(0, tab));
    cur.tags.push_back(static_cast<std::uint8_t>(index));
  }
  if (!cur.tokens.empty()) {
    throw LabError(Where(file, line_no) +
                   ": truncated: the file ends inside a tweet (no empty line after its last "
                   "token)");
  }
  if (tweets.empty()) throw LabError(file.string() + ": no tweets (an empty file)");
  return tweets;
}

std::size_t Tokens(const std::vector<Tweet>& tweets) {
  std::size_t n = 0;
  for (const Tweet& t : tweets) n += t.tokens.size();
  return n;
}

void Truncate(Split& s, std::size_t n) {
  s.labels.resize(n);
  s.inputs.resize(n * s.features);
}

}  // namespace

int TwposTagIndex(std::string_view tag) {
  for (std::size_t i = 0; i < kTwposTags.size(); ++i) {
    if (kTwposTags[i] == tag) return static_cast<int>(i);
  }
  return -1;
}

std::vector<Tweet> ReadTwposFile(const fs::path& file) {
  if (!fs::is_regular_file(file)) throw LabError(file.string() + ": no such file");
  return ParseTwpos(file, ReadWhole(file, "the corpus file"));
}

TwposFiles FindTwposFiles(const fs::path& dir) {
  const std::string hint =
      "; hint: twitter_pos needs --data DIR with the ARK Twitter POS corpus: oct27.train, "
      "oct27.dev, oct27.test (twpos-data v0.3, e.g. the shared data folder's twpos/) or the "
      "paper's tweets-train.txt, tweets-dev.txt, tweets-devtest.txt";
  if (!fs::is_directory(dir))
    throw LabError("data folder " + dir.string() + " does not exist" + hint);
  const std::array<const char*, 3> ark = {"oct27.train", "oct27.dev", "oct27.test"};
  const std::array<const char*, 3> paper = {"tweets-train.txt", "tweets-dev.txt",
                                            "tweets-devtest.txt"};
  for (const auto* names : {&ark, &paper}) {
    if (std::none_of(names->begin(), names->end(),
                     [&](const char* n) { return fs::exists(dir / n); })) {
      continue;
    }
    for (const char* n : *names) {
      if (!fs::is_regular_file(dir / n)) {
        throw LabError("data folder " + dir.string() + ": missing " + n + hint);
      }
    }
    return TwposFiles{dir / (*names)[0], dir / (*names)[1], dir / (*names)[2]};
  }
  throw LabError("data folder " + dir.string() + " holds no Twitter POS corpus" + hint);
}

VectorTable VectorTable::Read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw LabError(file.string() + ": cannot open the word-vector file for reading");
  VectorTable t;
  std::unordered_map<std::string, std::size_t> first_line;
  std::string line;
  std::size_t line_no = 0;
  std::vector<std::string_view> fields;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    fields.clear();
    for (std::size_t i = 0; i < line.size();) {
      const std::size_t end = std::min(line.find_first_of(" \t", i), line.size());
      if (end > i) fields.emplace_back(line.data() + i, end - i);
      i = end + 1;
    }
    if (fields.empty()) continue;  // blank lines, e.g. at the end
    if (fields.size() != kWordDim + 1) {
      throw LabError(Where(file, line_no) + ": expected a word and " + std::to_string(kWordDim) +
                     " numbers, found " + std::to_string(fields.size() - 1) + " after " +
                     Quote(fields[0]));
    }
    for (std::size_t d = 0; d < kWordDim; ++d) {
      const std::string_view f = fields[d + 1];
      float v = 0;
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      if (ec != std::errc() || end != f.data() + f.size() || !std::isfinite(v)) {
        throw LabError(Where(file, line_no) + ": number " + std::to_string(d + 1) + " of " +
                       Quote(fields[0]) + ", " + Quote(f) + ", is not a finite number");
      }
      t.values_.push_back(v);
    }
    const std::string word(fields[0]);
    const auto [it, fresh] = t.index_.emplace(word, t.index_.size());
    if (!fresh) {
      throw LabError(Where(file, line_no) + ": the word " + Quote(word) +
                     " has a vector already (line " + std::to_string(first_line[word]) + ")");
    }
    first_line[word] = line_no;
  }
  if (in.bad()) throw LabError(file.string() + ": read error");
  for (const auto word : {kUnknownWord, kPaddingWord}) {
    const auto it = t.index_.find(std::string(word));
    if (it == t.index_.end()) {
      throw LabError(file.string() + ": no vector for " + std::string(word) + " (" +
                     (word == kUnknownWord ? "the unknown word" : "the tweet padding") +
                     "); the paper's vector files have both");
    }
    (word == kUnknownWord ? t.unknown_ : t.padding_) = it->second;
  }
  return t;
}

const float* VectorTable::Find(std::string_view word) const {
  const auto it = index_.find(std::string(word));
  return values_.data() + (it == index_.end() ? unknown_ : it->second) * kWordDim;
}

std::array<float, kTypeFeatures> WordTypeFeatures(std::string_view word) {
  std::array<float, kTypeFeatures> f{};
  const std::u32string cps = DecodeUtf8(word);
  const std::string lower = LowerAscii(word);
  std::size_t upper = 0, lowers = 0, run = 0;
  bool digit = false, punct_only = !cps.empty(), non_ascii = false, elongated = false;
  for (std::size_t i = 0; i < cps.size(); ++i) {
    const char32_t c = cps[i];
    upper += c >= 'A' && c <= 'Z' ? 1 : 0;
    lowers += c >= 'a' && c <= 'z' ? 1 : 0;
    digit = digit || (c >= '0' && c <= '9');
    punct_only = punct_only && IsAsciiPunct(c);
    non_ascii = non_ascii || c >= 0x80;
    run = i > 0 && cps[i - 1] == c ? run + 1 : 1;
    elongated = elongated || run >= 3;
  }
  const auto set = [&f](TypeFeature k, bool on) { f[k] = on ? 1.0F : 0.0F; };
  set(kMention, word.size() > 1 && word[0] == '@');
  set(kHashtag, word.size() > 1 && word[0] == '#');
  set(kUrl, IsUrl(lower));
  set(kEmoticon, IsEmoticon(word, cps));
  set(kAllCaps, upper >= 2 && lowers == 0);
  set(kCapitalized, !cps.empty() && cps[0] >= 'A' && cps[0] <= 'Z' && lowers > 0);
  set(kLowercase, lowers > 0 && upper == 0);
  set(kDigit, digit);
  set(kPunctOnly, punct_only);
  set(kRetweet, lower == "rt");
  set(kApostrophe, Contains(word, "'") || cps.find(U'\u2019') != std::u32string::npos);
  set(kNonAscii, non_ascii);
  set(kElongated, elongated);
  return f;
}

void SubstituteVector(std::string_view word, float* out) {
  std::u32string s = DecodeUtf8(LowerAscii(word));
  std::u32string marked;
  marked.reserve(s.size() + 2);
  marked.push_back(kBegin);
  marked += s;
  marked.push_back(kEnd);
  double acc[kHashDims] = {};
  for (std::size_t n = 1; n <= kMaxGram; ++n) {
    for (std::size_t i = 0; i + n <= marked.size(); ++i) {
      if (n == 1 && (i == 0 || i + 1 == marked.size())) continue;  // a lone boundary mark
      AddSigns(FeatureSigns(marked.data() + i, n), acc);
    }
  }
  s.insert(s.begin(), kWholeWord);
  AddSigns(FeatureSigns(s.data(), s.size()), acc);
  double norm = 0;
  for (const double a : acc) norm += a * a;
  norm = std::sqrt(norm);
  for (std::size_t d = 0; d < kHashDims; ++d) {
    out[d] = norm > 0 ? static_cast<float>(acc[d] / norm) : 0.0F;
  }
  const auto types = WordTypeFeatures(word);
  std::copy(types.begin(), types.end(), out + kHashDims);
}

void SubstitutePadding(float* out) {
  std::fill(out, out + kWordDim, 0.0F);
  out[kHashDims + kPadding] = 1.0F;
}

void WindowFeatures(const std::vector<Tweet>& tweets, const VectorTable* table, Split& out) {
  out.features = kWindowFeatures;
  out.labels.clear();
  out.inputs.clear();
  const std::size_t n = Tokens(tweets);
  out.labels.reserve(n);
  out.inputs.reserve(n * kWindowFeatures);
  std::array<float, kWordDim> pad{};
  if (table != nullptr) {
    std::copy(table->Padding(), table->Padding() + kWordDim, pad.begin());
  } else {
    SubstitutePadding(pad.data());
  }
  std::unordered_map<std::string, std::array<float, kWordDim>> cache;
  const auto vec = [&](std::string_view w) -> const float* {
    if (table != nullptr) return table->Find(w);
    auto [it, fresh] = cache.try_emplace(std::string(w));
    if (fresh) SubstituteVector(w, it->second.data());
    return it->second.data();
  };
  for (const Tweet& t : tweets) {
    for (std::size_t i = 0; i < t.tokens.size(); ++i) {
      const float* prev = i > 0 ? vec(t.tokens[i - 1]) : pad.data();
      const float* next = i + 1 < t.tokens.size() ? vec(t.tokens[i + 1]) : pad.data();
      for (const float* v : {prev, vec(t.tokens[i]), next}) {
        out.inputs.insert(out.inputs.end(), v, v + kWordDim);
      }
      out.labels.push_back(t.tags[i]);
    }
  }
}

Dataset LoadTwposFolder(const fs::path& dir, std::size_t validation, std::size_t train_limit,
                        const fs::path& vectors) {
  const TwposFiles files = FindTwposFiles(dir);
  fs::path vector_file = vectors;
  if (vector_file.empty() && fs::is_regular_file(dir / kPaperVectorsFile)) {
    vector_file = dir / kPaperVectorsFile;
  }
  std::optional<VectorTable> table;
  if (!vector_file.empty()) table = VectorTable::Read(vector_file);
  const VectorTable* t = table ? &*table : nullptr;

  Dataset d;
  d.dir = fs::absolute(dir).lexically_normal();
  if (!d.dir.has_filename()) d.dir = d.dir.parent_path();
  d.name = d.dir.filename().string();
  std::vector<fs::path> inputs = {files.train, files.dev, files.test};
  if (t != nullptr) {
    d.name.append("+").append(vector_file.filename().string());
    inputs.push_back(vector_file);
  }
  d.fingerprint = FingerprintFiles(inputs, t != nullptr ? "" : kSubstituteScheme);
  d.classes = kTwposTags.size();

  WindowFeatures(ReadTwposFile(files.train), t, d.train);
  WindowFeatures(ReadTwposFile(files.dev), t, d.val);
  WindowFeatures(ReadTwposFile(files.test), t, d.test);
  if (validation != kAllDevTokens) {
    if (validation > d.val.size()) {
      throw LabError("--validation " + std::to_string(validation) + ": " + files.dev.string() +
                     " holds only " + std::to_string(d.val.size()) +
                     " tokens (the validation split is the first N of them)");
    }
    Truncate(d.val, validation);
  }
  if (train_limit > 0 && train_limit < d.train.size()) Truncate(d.train, train_limit);
  return d;
}

void WriteSampleTwpos(const fs::path& dir) {
  fs::create_directories(dir);
  // Two made-up words per tag; a word's tag never changes, so a tagger learns the data exactly.
  std::mt19937 rng(42);
  std::vector<std::pair<std::string, std::string_view>> vocab;
  for (const auto tag : kTwposTags) {
    for (int k = 0; k < 2; ++k) {
      std::string w;
      const std::size_t len = 3 + rng() % 5;
      for (std::size_t i = 0; i < len; ++i) w.push_back(static_cast<char>('a' + rng() % 26));
      vocab.emplace_back(w, tag);
    }
  }
  const auto write = [&](const char* name, int tweets) {
    std::ofstream out(dir / name, std::ios::binary);
    for (int i = 0; i < tweets; ++i) {
      const std::size_t n = 5 + rng() % 10;
      for (std::size_t k = 0; k < n; ++k) {
        const auto& [word, tag] = vocab[rng() % vocab.size()];
        out << word << '\t' << tag << '\n';
      }
      out << '\n';
    }
    if (!out) throw LabError((dir / name).string() + ": cannot write the sample corpus");
  };
  write("oct27.train", 120);
  write("oct27.dev", 40);
  write("oct27.test", 40);
}

}  // namespace gelu::lab
