// Twitter POS data (lab/core/twpos.hpp): the corpus reader on files written here (counts, tags,
// every bad input named by file and line), the folder's file names, the word-vector reader (good
// and bad lines), the substitute vectors (pinned against tests/lab/twpos_substitute_ref.py, the
// type features), the window features, the fingerprint, and the real corpus (skipped when absent)
// with its most-frequent-tag baseline computed here from the raw files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "lab/core/error.hpp"
#include "lab/core/twpos.hpp"
#include "tests/lab/lab_test_util.hpp"

namespace gelu::lab {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

void Write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
}

template <typename F>
std::string ErrorOf(F&& f) {
  try {
    f();
  } catch (const LabError& e) {
    return e.what();
  }
  return "";
}

// Two tweets, 3 + 2 tokens.
constexpr const char* kGood =
    "Hello\t!\n@bob\t@\n:)\tE\n"
    "\n"
    "RT\t~\nhttp://x.co/a\tU\n"
    "\n";

std::vector<float> Substitute(const std::string& word) {
  std::vector<float> v(kWordDim);
  SubstituteVector(word, v.data());
  return v;
}

std::vector<float> Padding() {
  std::vector<float> v(kWordDim);
  SubstitutePadding(v.data());
  return v;
}

std::vector<float> Slice(const Split& s, std::size_t token, std::size_t word) {
  const auto at =
      s.inputs.begin() + static_cast<std::ptrdiff_t>(token * s.features + word * kWordDim);
  return {at, at + static_cast<std::ptrdiff_t>(kWordDim)};
}

TEST(LabTwpos, TagSetIsThePapers) {
  EXPECT_EQ(kTwposTags.size(), 25U);
  EXPECT_EQ(std::set<std::string_view>(kTwposTags.begin(), kTwposTags.end()).size(), 25U);
  EXPECT_EQ(TwposTagIndex("N"), 0);
  EXPECT_EQ(TwposTagIndex("V"), 7);
  EXPECT_EQ(TwposTagIndex(","), 23);
  EXPECT_EQ(TwposTagIndex("G"), 24);
  EXPECT_EQ(TwposTagIndex("NN"), -1);
  EXPECT_EQ(TwposTagIndex(""), -1);
}

TEST(LabTwpos, ReadsTweetsTokensAndTags) {
  TempDir dir("tw");
  Write(dir.path() / "a", kGood);
  const auto tweets = ReadTwposFile(dir.path() / "a");
  ASSERT_EQ(tweets.size(), 2U);
  EXPECT_EQ(tweets[0].tokens, (std::vector<std::string>{"Hello", "@bob", ":)"}));
  EXPECT_EQ(tweets[0].tags, (std::vector<std::uint8_t>{10, 18, 21}));  // ! @ E
  EXPECT_EQ(tweets[1].tokens, (std::vector<std::string>{"RT", "http://x.co/a"}));
  EXPECT_EQ(tweets[1].tags, (std::vector<std::uint8_t>{19, 20}));  // ~ U
  // CRLF line ends and extra empty lines between tweets read the same.
  Write(dir.path() / "b",
        "\r\nHello\t!\r\n@bob\t@\r\n:)\tE\r\n\r\n\r\nRT\t~\r\nhttp://x.co/a\tU\r\n\r\n");
  const auto crlf = ReadTwposFile(dir.path() / "b");
  ASSERT_EQ(crlf.size(), 2U);
  EXPECT_EQ(crlf[0].tokens, tweets[0].tokens);
  EXPECT_EQ(crlf[1].tags, tweets[1].tags);
  // A token may hold spaces and any bytes but a tab.
  Write(dir.path() / "c", "a b\tN\n\xe2\x99\xa5\tE\n\n");
  EXPECT_EQ(ReadTwposFile(dir.path() / "c")[0].tokens[1], "\xe2\x99\xa5");
}

TEST(LabTwpos, BadCorpusLinesNameFileAndLine) {
  TempDir dir("tw");
  struct Case {
    const char* text;
    const char* where;  // ":LINE" or "" (the whole file)
    const char* cause;
  };
  const Case cases[] = {
      {"a\tN\nb N\n\n", ":2:", "no tab in 'b N'"},
      {"a\tN\n\nb\tN\tx\n\n", ":3:", "more than one tab"},
      {"a\tN\n\tV\n\n", ":2:", "empty token"},
      {"a\tN\nb\tNN\n\n", ":2:", "tag 'NN' is not one of the 25 tags (N O S ^ Z"},
      {"a\tN\nb\t\n\n", ":2:", "tag '' is not one of the 25 tags"},
      {"a\tN\n\nb\tV\n", ":3:", "truncated: the file ends inside a tweet"},
      {"a\tN\n\nb\tV", ":3:", "truncated: the file ends inside a line"},
      {"", "", "no tweets"},
      {"\n\n", "", "no tweets"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const fs::path f = dir.path() / "oct27.train";
    Write(f, c.text);
    const std::string e = ErrorOf([&] { ReadTwposFile(f); });
    EXPECT_NE(e.find(f.string() + c.where), std::string::npos) << e;
    EXPECT_NE(e.find(c.cause), std::string::npos) << e;
  }
  const std::string e = ErrorOf([&] { ReadTwposFile(dir.path() / "nope"); });
  EXPECT_NE(e.find((dir.path() / "nope").string() + ": no such file"), std::string::npos) << e;
}

TEST(LabTwpos, FindsArkAndPaperFileNames) {
  TempDir ark("tw"), paper("tw"), partial("tw"), empty("tw");
  for (const char* n : {"oct27.train", "oct27.dev", "oct27.test"}) Write(ark.path() / n, kGood);
  for (const char* n : {"tweets-train.txt", "tweets-dev.txt", "tweets-devtest.txt"}) {
    Write(paper.path() / n, kGood);
  }
  EXPECT_EQ(FindTwposFiles(ark.path()).dev, ark.path() / "oct27.dev");
  EXPECT_EQ(FindTwposFiles(paper.path()).test, paper.path() / "tweets-devtest.txt");
  Write(partial.path() / "oct27.train", kGood);
  Write(partial.path() / "oct27.dev", kGood);
  std::string e = ErrorOf([&] { FindTwposFiles(partial.path()); });
  EXPECT_NE(e.find(partial.path().string() + ": missing oct27.test"), std::string::npos) << e;
  // No corpus, or no folder: the flag and the expected files are named.
  for (const fs::path& dir : {empty.path(), empty.path() / "nope"}) {
    e = ErrorOf([&] { LoadTwposFolder(dir, kAllDevTokens, 0); });
    EXPECT_NE(e.find(dir.string()), std::string::npos) << e;
    for (const char* part : {"--data DIR", "oct27.train", "tweets-devtest.txt", "twpos/"}) {
      EXPECT_NE(e.find(part), std::string::npos) << part << " in " << e;
    }
  }
}

TEST(LabTwpos, TypeFeaturesFire) {
  struct Case {
    const char* word;
    std::vector<TypeFeature> on;
  };
  const Case cases[] = {
      {"@user", {kMention, kLowercase}},
      {"#tag", {kHashtag, kLowercase}},
      {"http://x", {kUrl, kLowercase}},
      {"bit.ly/x", {kLowercase}},
      {"blog.blogspot.com/2010", {kUrl, kLowercase, kDigit}},
      {":)", {kEmoticon, kPunctOnly}},
      {";-P", {kEmoticon}},
      {"<333", {kEmoticon, kDigit, kElongated}},
      {"^_^", {kEmoticon, kPunctOnly}},
      {"xD", {kEmoticon}},
      {"\xe2\x99\xa5\xe2\x99\xa5", {kEmoticon, kNonAscii}},  // two hearts
      {"RT", {kRetweet, kAllCaps}},
      {"rt", {kRetweet, kLowercase}},
      {"Hello", {kCapitalized}},
      {"LOL", {kAllCaps}},
      {"lol", {kLowercase}},
      {"don't", {kLowercase, kApostrophe}},
      {"don\xe2\x80\x99t", {kLowercase, kApostrophe, kNonAscii}},
      {"sooo", {kLowercase, kElongated}},
      {"!!!", {kPunctOnly, kElongated}},
      {"...", {kPunctOnly, kElongated}},
      {"2day", {kLowercase, kDigit}},
      {"3:30", {kDigit}},
      {"@", {kPunctOnly}},
      {"#", {kPunctOnly}},
      {"\xe4\xb8\xad", {kNonAscii}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.word);
    const auto f = WordTypeFeatures(c.word);
    for (std::size_t k = 0; k < kTypeFeatures; ++k) {
      const bool want = std::find(c.on.begin(), c.on.end(), k) != c.on.end();
      EXPECT_EQ(f[k], want ? 1.0F : 0.0F) << "feature " << k;
    }
  }
}

TEST(LabTwpos, SubstituteVectorsAreFixedAndPlaceUnseenWordsBySpelling) {
  // Hashed n-gram dims of "Hello": tests/lab/twpos_substitute_ref.py Hello (an independent
  // implementation of the same projection in Python's integers).
  const std::vector<float> hello = Substitute("Hello");
  const double want[] = {-0.427668602, -0.032897585, -0.098692754, 0.164487924, 0.164487924,
                         -0.032897585, -0.230283093, 0.032897585,  0.032897585};
  for (std::size_t d = 0; d < std::size(want); ++d) EXPECT_NEAR(hello[d], want[d], 1e-6) << d;
  const double at_user[] = {-0.043355498, -0.216777492, -0.130066495, 0.130066495};
  const std::vector<float> user = Substitute("@user");
  for (std::size_t d = 0; d < std::size(at_user); ++d) EXPECT_NEAR(user[d], at_user[d], 1e-6);
  EXPECT_EQ(Substitute("Hello"), hello);  // the same word, the same vector
  // The case goes to the type features only.
  const std::vector<float> lower = Substitute("hello");
  EXPECT_TRUE(std::equal(hello.begin(), hello.begin() + kHashDims, lower.begin()));
  EXPECT_NE(hello, lower);
  const auto hash_norm = [](const std::vector<float>& v) {
    double s = 0;
    for (std::size_t d = 0; d < kHashDims; ++d)
      s += static_cast<double>(v[d]) * static_cast<double>(v[d]);
    return std::sqrt(s);
  };
  const auto cosine = [&](const std::string& a, const std::string& b) {
    const auto x = Substitute(a), y = Substitute(b);
    double s = 0;
    for (std::size_t d = 0; d < kHashDims; ++d)
      s += static_cast<double>(x[d]) * static_cast<double>(y[d]);
    return s / (hash_norm(x) * hash_norm(y));
  };
  // Any word, seen or not, has a unit-norm spelling part, never the padding's zero vector.
  for (const char* w : {"qwxz", "", "\xe2\x98\xba", "loooooool", "http://t.co/zzz", "\xff"}) {
    EXPECT_NEAR(hash_norm(Substitute(w)), 1.0, 1e-6) << w;
  }
  EXPECT_EQ(Padding()[kHashDims + kPadding], 1.0F);
  EXPECT_NEAR(hash_norm(Padding()), 0.0, 0.0);
  // Shared spelling, nearer vectors.
  EXPECT_GT(cosine("running", "runnin"), cosine("running", "table") + 0.3);
  EXPECT_GT(cosine("lol", "lolol"), cosine("lol", "house") + 0.3);
}

// A corpus folder: oct27.train = kGood; dev and test one tweet each.
void WriteCorpus(const fs::path& dir) {
  Write(dir / "oct27.train", kGood);
  Write(dir / "oct27.dev", "a\tD\nb\tN\nc\tV\n\n");
  Write(dir / "oct27.test", "Hello\t!\n\n");
}

TEST(LabTwpos, WindowFeaturesAndSplits) {
  TempDir dir("tw");
  WriteCorpus(dir.path());
  const Dataset d = LoadTwposFolder(dir.path(), kAllDevTokens, 0);
  EXPECT_EQ(d.name, dir.path().filename().string());
  EXPECT_EQ(d.classes, 25U);
  EXPECT_EQ(d.train.size(), 5U);
  EXPECT_EQ(d.val.size(), 3U);
  EXPECT_EQ(d.test.size(), 1U);
  EXPECT_EQ(d.train.features, 150U);
  EXPECT_EQ(d.train.inputs.size(), 5U * 150U);
  EXPECT_EQ(d.train.labels, (std::vector<std::uint8_t>{10, 18, 21, 19, 20}));
  // Token 1 of tweet 1 (@bob): Hello, @bob, :). Token 2: @bob, :), padding. Token 3 (RT) starts
  // tweet 2: padding, RT, http://x.co/a.
  EXPECT_EQ(Slice(d.train, 1, 0), Substitute("Hello"));
  EXPECT_EQ(Slice(d.train, 1, 1), Substitute("@bob"));
  EXPECT_EQ(Slice(d.train, 1, 2), Substitute(":)"));
  EXPECT_EQ(Slice(d.train, 2, 2), Padding());
  EXPECT_EQ(Slice(d.train, 3, 0), Padding());
  EXPECT_EQ(Slice(d.train, 3, 1), Substitute("RT"));
  EXPECT_EQ(Slice(d.test, 0, 0), Padding());
  EXPECT_EQ(Slice(d.test, 0, 2), Padding());
  // --validation N: the first N dev tokens; --train-limit N: the first N training tokens.
  const Dataset small = LoadTwposFolder(dir.path(), 2, 4);
  EXPECT_EQ(small.val.size(), 2U);
  EXPECT_EQ(small.val.inputs.size(), 2U * 150U);
  EXPECT_EQ(small.train.size(), 4U);
  EXPECT_EQ(small.train.labels, (std::vector<std::uint8_t>{10, 18, 21, 19}));
  const std::string e = ErrorOf([&] { LoadTwposFolder(dir.path(), 4, 0); });
  EXPECT_NE(e.find("--validation 4: " + (dir.path() / "oct27.dev").string() + " holds only 3"),
            std::string::npos)
      << e;
  // A bad corpus file is reported by the loader as by the reader.
  Write(dir.path() / "oct27.test", "Hello\tQ\n\n");
  EXPECT_NE(ErrorOf([&] {
              LoadTwposFolder(dir.path(), kAllDevTokens, 0);
            }).find((dir.path() / "oct27.test").string() + ":1: tag 'Q'"),
            std::string::npos);
}

// " 0.010000 0.020000 ..." (n numbers).
std::string Numbers(std::size_t n) {
  std::string s;
  for (std::size_t d = 1; d <= n; ++d)
    s.append(" ").append(std::to_string(0.01 * static_cast<double>(d)));
  return s;
}

// A word, `first`, then 0.01 ... 0.49: 50 numbers by default.
std::string VectorLine(const std::string& word, float first, std::size_t numbers = kWordDim) {
  std::string s = word;
  return s.append(" ").append(std::to_string(first)).append(Numbers(numbers - 1)).append("\n");
}

TEST(LabTwpos, VectorFileGoodLines) {
  TempDir dir("tw");
  WriteCorpus(dir.path());
  const fs::path f = dir.path() / "vectors.txt";
  Write(f, VectorLine("UUUNKKK", -1) + VectorLine("</s>", -2) + VectorLine("Hello", 0.5) + "\n" +
               VectorLine("RT", 1.5e-3F));
  const VectorTable t = VectorTable::Read(f);
  EXPECT_EQ(t.size(), 4U);
  EXPECT_FLOAT_EQ(t.Find("Hello")[0], 0.5F);
  EXPECT_FLOAT_EQ(t.Find("Hello")[49], 0.49F);
  EXPECT_FLOAT_EQ(t.Find("RT")[0], 1.5e-3F);
  EXPECT_FLOAT_EQ(t.Find("hello")[0], -1.0F);  // case-sensitive: unknown
  EXPECT_FLOAT_EQ(t.Find("@bob")[0], -1.0F);
  EXPECT_FLOAT_EQ(t.Padding()[0], -2.0F);
  // The folder's embeddings-twitter.txt (the paper's layout) replaces the substitute: 150 inputs
  // from the file, another data set name and fingerprint.
  const Dataset sub = LoadTwposFolder(dir.path(), kAllDevTokens, 0);
  fs::copy_file(f, dir.path() / "embeddings-twitter.txt");
  const Dataset d = LoadTwposFolder(dir.path(), kAllDevTokens, 0);
  EXPECT_EQ(d.train.features, 150U);
  EXPECT_EQ(d.name, dir.path().filename().string() + "+embeddings-twitter.txt");
  EXPECT_NE(d.fingerprint, sub.fingerprint);
  EXPECT_EQ(Slice(d.train, 0, 0)[0], -2.0F);    // padding
  EXPECT_EQ(Slice(d.train, 0, 1)[0], 0.5F);     // Hello
  EXPECT_EQ(Slice(d.train, 0, 2)[0], -1.0F);    // @bob: UUUNKKK
  EXPECT_EQ(Slice(d.train, 3, 1)[0], 1.5e-3F);  // RT
  // An explicit file wins over the folder's.
  Write(dir.path() / "other.txt", VectorLine("UUUNKKK", 7) + VectorLine("</s>", 8));
  EXPECT_EQ(
      Slice(LoadTwposFolder(dir.path(), kAllDevTokens, 0, dir.path() / "other.txt").train, 0, 1)[0],
      7.0F);
}

// gelu-lab run --vectors FILE: the file reaches the loader (the data set is named after it); a
// missing file is named; the MNIST experiments refuse the flag.
TEST(LabTwpos, VectorsFlagOfTheCommandLine) {
  TempDir dir("tw");
  WriteSampleTwpos(dir.path());  // enough tokens for a batch of 16
  const fs::path vectors = dir.path() / "mine.txt";
  Write(vectors, VectorLine("UUUNKKK", -1) + VectorLine("</s>", -2) + VectorLine("Hello", 0.5));
  const std::vector<std::string> common = {"--activations", "gelu", "--seeds", "1", "--epochs", "1",
                                           "--lr",          "1e-3", "--jobs",  "1"};
  auto args = [&](const std::string& exp, const fs::path& v, const std::string& out) {
    std::vector<std::string> a = {"run",       exp,        "--data", dir.path().string(),
                                  "--vectors", v.string(), "--out",  (dir.path() / out).string()};
    a.insert(a.end(), common.begin(), common.end());
    return a;
  };
  const test::Result ok = test::RunLab(args("twitter_pos", vectors, "out1"));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("+mine.txt"), std::string::npos) << ok.output;
  const test::Result missing = test::RunLab(args("twitter_pos", dir.path() / "nope.txt", "out2"));
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("nope.txt"), std::string::npos) << missing.output;
  const test::Result mnist = test::RunLab(args("mnist_classify", vectors, "out3"));
  EXPECT_NE(mnist.exit_code, 0);
  EXPECT_NE(mnist.output.find("--vectors"), std::string::npos) << mnist.output;
  EXPECT_FALSE(fs::exists(dir.path() / "out3" / "runs")) << "a refused run wrote results";
}

TEST(LabTwpos, VectorFileBadLinesNameFileAndLine) {
  TempDir dir("tw");
  const std::string head = VectorLine("UUUNKKK", 0) + VectorLine("</s>", 0);
  struct Case {
    std::string text;
    const char* where;
    const char* cause;
  };
  const Case cases[] = {
      {head + VectorLine("a", 1, 49), ":3:", "expected a word and 50 numbers, found 49 after 'a'"},
      {head + VectorLine("a", 1, 51), ":3:", "found 51"},
      {"200 50\n" + head, ":1:", "expected a word and 50 numbers, found 1"},
      {head + "b x" + Numbers(49) + "\n", ":3:", "number 1 of 'b', 'x', is not a finite number"},
      {head + "b 1,5" + Numbers(49) + "\n", ":3:", "'1,5', is not a finite"},
      {head + "b nan" + Numbers(49) + "\n", ":3:", "'nan', is not a finite"},
      {head + "b" + Numbers(49) + " inf\n", ":3:", "number 50 of 'b', 'inf'"},
      {head + VectorLine("a", 1) + VectorLine("a", 2), ":4:", "'a' has a vector already (line 3)"},
      {VectorLine("</s>", 0), "", "no vector for UUUNKKK"},
      {VectorLine("UUUNKKK", 0), "", "no vector for </s>"},
      {"", "", "no vector for UUUNKKK"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text.substr(0, 60));
    const fs::path f = dir.path() / "embeddings-twitter.txt";
    Write(f, c.text);
    const std::string e = ErrorOf([&] { VectorTable::Read(f); });
    EXPECT_NE(e.find(f.string() + c.where), std::string::npos) << e;
    EXPECT_NE(e.find(c.cause), std::string::npos) << e;
  }
  EXPECT_NE(ErrorOf([&] { VectorTable::Read(dir.path() / "nope"); }).find("cannot open"),
            std::string::npos);
}

TEST(LabTwpos, FingerprintCoversEveryCorpusFile) {
  TempDir dir("tw");
  WriteCorpus(dir.path());
  const std::string before = LoadTwposFolder(dir.path(), kAllDevTokens, 0).fingerprint;
  EXPECT_EQ(before, LoadTwposFolder(dir.path(), kAllDevTokens, 0).fingerprint);
  // The substitute's scheme is part of it: not the plain files' fingerprint.
  const std::vector<fs::path> files = {dir.path() / "oct27.train", dir.path() / "oct27.dev",
                                       dir.path() / "oct27.test"};
  EXPECT_NE(before, FingerprintFiles(files));
  for (const char* name : {"oct27.train", "oct27.dev", "oct27.test"}) {
    TempDir copy("tw");
    WriteCorpus(copy.path());
    std::string text = test::ReadFile(copy.path() / name);
    text[0] = text[0] == 'a' ? 'b' : 'a';  // one token changes
    Write(copy.path() / name, text);
    EXPECT_NE(LoadTwposFolder(copy.path(), kAllDevTokens, 0).fingerprint, before) << name;
  }
}

// The real corpus: $GELU_LAB_TWPOS, else the shared data folder's twpos/.
fs::path RealCorpus() {
  if (const char* env = std::getenv("GELU_LAB_TWPOS"); env != nullptr && *env != '\0') return env;
  const char* shared = std::getenv("GELU_SHARED_DATA");
  return fs::path(shared != nullptr ? shared : GELU_SHARED_DATA_DEFAULT) / "twpos";
}

// token<TAB>tag pairs of a file, read here with nothing but getline (independent of twpos.cpp).
std::vector<std::pair<std::string, std::string>> RawTokens(const fs::path& file, int* tweets) {
  std::ifstream in(file);
  std::vector<std::pair<std::string, std::string>> out;
  std::string line;
  *tweets = 0;
  while (std::getline(in, line)) {
    if (line.empty()) {
      ++*tweets;
      continue;
    }
    const auto tab = line.find('\t');
    out.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  return out;
}

TEST(LabTwpos, RealCorpusCountsAndMostFrequentTagBaseline) {
  const fs::path dir = RealCorpus();
  if (!fs::is_regular_file(dir / "oct27.train")) {
    GTEST_SKIP() << "the ARK Twitter POS corpus (oct27.train, .dev, .test) is not in " << dir
                 << " (set GELU_LAB_TWPOS=DIR or GELU_SHARED_DATA, or -DGELU_SHARED_DATA=...)";
  }
  int tweets[3] = {};
  const auto train = RawTokens(dir / "oct27.train", &tweets[0]);
  const auto dev = RawTokens(dir / "oct27.dev", &tweets[1]);
  const auto test = RawTokens(dir / "oct27.test", &tweets[2]);
  // The paper's splits (paper-spec.md section 6; the corpus README).
  EXPECT_EQ(tweets[0], 1000);
  EXPECT_EQ(tweets[1], 327);
  EXPECT_EQ(tweets[2], 500);
  ASSERT_EQ(train.size(), 14619U);
  ASSERT_EQ(dev.size(), 4823U);
  ASSERT_EQ(test.size(), 7152U);

  const Dataset d = LoadTwposFolder(dir, kAllDevTokens, 0);
  EXPECT_EQ(d.train.size(), 14619U);
  EXPECT_EQ(d.val.size(), 4823U);
  EXPECT_EQ(d.test.size(), 7152U);
  EXPECT_EQ(d.train.features, 150U);
  EXPECT_EQ(d.classes, 25U);
  EXPECT_EQ(std::set<std::uint8_t>(d.train.labels.begin(), d.train.labels.end()).size(), 25U);
  for (std::size_t i = 0; i < test.size(); ++i) {
    ASSERT_EQ(kTwposTags[d.test.labels[i]], test[i].second) << i;
  }
  // FNV-1a 64 of the three files and "twpos-substitute-v1", computed with Python's integers.
  if (d.name.find('+') == std::string::npos) {
    EXPECT_EQ(d.fingerprint, "bc9061a8ae6123b7");
  }

  // Most-frequent-tag baseline: each training word's most frequent tag (ties: the one seen first),
  // the most frequent training tag (V) for unseen words. Python on the same files: 2292 of 7152
  // wrong (32.0 %), 2103 test tokens unseen in training (29.4 %).
  std::map<std::string, std::vector<std::pair<std::string, int>>> counts;  // in first-seen order
  std::map<std::string, int> tag_count;
  for (const auto& [word, tag] : train) {
    auto& c = counts[word];
    auto it = std::find_if(c.begin(), c.end(), [&](const auto& p) { return p.first == tag; });
    if (it == c.end())
      c.emplace_back(tag, 1);
    else
      ++it->second;
    ++tag_count[tag];
  }
  const auto top =
      std::max_element(tag_count.begin(), tag_count.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  EXPECT_EQ(top->first, "V");
  int wrong = 0, unseen = 0;
  for (const auto& [word, tag] : test) {
    const auto it = counts.find(word);
    std::string guess = top->first;
    if (it == counts.end()) {
      ++unseen;
    } else {
      guess =
          std::max_element(it->second.begin(), it->second.end(), [](const auto& a, const auto& b) {
            return a.second < b.second;  // the first maximum: the tag seen first
          })->first;
    }
    wrong += guess != tag ? 1 : 0;
  }
  EXPECT_EQ(wrong, 2292);
  EXPECT_EQ(unseen, 2103);
  EXPECT_NEAR(static_cast<double>(wrong) / 7152.0, 0.320, 0.0005);
}

}  // namespace
}  // namespace gelu::lab
