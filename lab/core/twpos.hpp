// The ARK Twitter POS corpus (Gimpel et al. 2011, Owoputi et al. 2013) for twitter_pos
// (paper-spec.md section 6): the token<TAB>tag reader with the paper's 25 tags, the reader of the
// paper's word-vector file, the fixed substitute word vectors used when that file is absent, and
// the window features (previous, current, next word: 3 x 50 = 150 inputs per token). Bad input
// raises LabError naming the file and line. No torch here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lab/core/dataset.hpp"

namespace gelu::lab {

// The paper's tag set in the order of its code (GELUs:twitter_pos.py); a label is its index here.
inline constexpr std::array<std::string_view, 25> kTwposTags = {
    "N", "O", "S", "^", "Z", "L", "M", "V", "A", "R", "!", "D", "P",
    "&", "T", "X", "Y", "#", "@", "~", "U", "E", "$", ",", "G"};
// The index of tag in kTwposTags, or -1.
int TwposTagIndex(std::string_view tag);

struct Tweet {
  std::vector<std::string> tokens;
  std::vector<std::uint8_t> tags;  // indices into kTwposTags
};

// One token<TAB>tag per line, an empty line after each tweet (a file ends with one). A trailing CR
// is ignored. Throws LabError "FILE:LINE: ..." on a missing or second tab, an empty token, a tag
// outside the 25, a file that ends inside a tweet or a line (truncated), an unreadable or empty
// file.
std::vector<Tweet> ReadTwposFile(const std::filesystem::path& file);

// The corpus files in DIR: oct27.train, oct27.dev, oct27.test (twpos-data v0.3), else the paper's
// names tweets-train.txt, tweets-dev.txt, tweets-devtest.txt. Throws LabError naming the folder,
// the missing file and the expected names.
struct TwposFiles {
  std::filesystem::path train, dev, test;
};
TwposFiles FindTwposFiles(const std::filesystem::path& dir);

// The vectors' dimension (the paper's 50) and the paper's special words.
inline constexpr std::size_t kWordDim = 50;
inline constexpr std::string_view kUnknownWord = "UUUNKKK";  // every word without a vector
inline constexpr std::string_view kPaddingWord = "</s>";     // before and after each tweet

// The paper's vector file (data/Tweets/embeddings-twitter.txt): per line a word, then kWordDim
// numbers, separated by spaces or tabs. Lookup is case-sensitive; words without a vector get
// UUUNKKK's. Throws LabError "FILE:LINE: ..." on a line without kWordDim finite numbers and on a
// word given twice, and names the file when UUUNKKK or </s> is missing.
class VectorTable {
 public:
  static VectorTable Read(const std::filesystem::path& file);
  // The word's vector (UUUNKKK's when it has none), kWordDim floats.
  const float* Find(std::string_view word) const;
  const float* Padding() const { return values_.data() + padding_ * kWordDim; }
  std::size_t size() const { return index_.size(); }

 private:
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<float> values_;  // size() x kWordDim
  std::size_t unknown_ = 0, padding_ = 0;
};

// The substitute for the paper's unavailable vectors: fixed, never trained, the same for every
// activation and seed. Dims [0, kHashDims): a random projection (signs from a fixed-seed hash) of
// the lowercased word's character 1- to 4-grams (with word-boundary marks) and the whole word,
// scaled to L2 norm 1, so that an unseen word lands near the seen words it shares spelling with.
// Dims [kHashDims, kWordDim): 0/1 word-type features (TypeFeature), which decide most tags of
// unseen tokens in tweets. The padding word </s> is the zero vector with only kPadding set.
enum TypeFeature : std::size_t {
  kPadding,      // the </s> padding before and after a tweet
  kMention,      // @user
  kHashtag,      // #tag
  kUrl,          // http://..., https://..., www...., or a name with ://
  kEmoticon,     // :) ;-P <3 xD ^_^ :'( and the heart and smiley symbols
  kAllCaps,      // two or more letters, none lowercase
  kCapitalized,  // an uppercase first letter, some lowercase letter
  kLowercase,    // letters, all lowercase
  kDigit,        // contains a digit
  kPunctOnly,    // only ASCII punctuation
  kRetweet,      // "rt", any case
  kApostrophe,   // contains ' or U+2019
  kNonAscii,     // contains a non-ASCII character (emoji, other scripts)
  kElongated,    // a character three or more times in a row (sooo, !!!)
  kTypeFeatures
};
inline constexpr std::size_t kHashDims = kWordDim - kTypeFeatures;
// The word's type features (each 0 or 1); kPadding is never set here.
std::array<float, kTypeFeatures> WordTypeFeatures(std::string_view word);
// The substitute vector of a word (kWordDim floats to out).
void SubstituteVector(std::string_view word, float* out);
void SubstitutePadding(float* out);

// The features of a token: the vectors of the previous, current and next word, padded with the
// padding vector at the tweet's edges (3 * kWordDim floats per token), from `table` when given,
// else the substitute.
inline constexpr std::size_t kWindowFeatures = 3 * kWordDim;
void WindowFeatures(const std::vector<Tweet>& tweets, const VectorTable* table, Split& out);

// Loads the corpus in dir: train = the train file, val = the first `validation` tokens of the dev
// file (kAllDevTokens: all), test = the test file; train_limit > 0 keeps the first N training
// tokens. Vectors from `vectors` when not empty, else dir/embeddings-twitter.txt when it exists
// (the paper's folder layout), else the substitute. The fingerprint covers the three files, the
// vector file and the substitute's version. Dataset::name is the folder name (+ the vector file's).
inline constexpr std::size_t kAllDevTokens = static_cast<std::size_t>(-1);
inline constexpr std::string_view kPaperVectorsFile = "embeddings-twitter.txt";
Dataset LoadTwposFolder(const std::filesystem::path& dir, std::size_t validation,
                        std::size_t train_limit, const std::filesystem::path& vectors = {});

// Writes oct27.train / .dev / .test of a small learnable corpus (each word has one tag; 120 train,
// 40 dev, 40 test tweets) for the registry-driven test.
void WriteSampleTwpos(const std::filesystem::path& dir);

}  // namespace gelu::lab
