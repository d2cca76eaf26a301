#pragma once
// Analyses over a data source for the views, with plain-data results (no torch types here).

#include "jobs/BackgroundJob.h"

#include <memory>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace ringscope::gui {

class ModelSession;

/// A matrix of numbers, row-major.
struct Matrix {
    int rows = 0, cols = 0;
    std::vector<double> values;
    double at(int r, int c) const { return values[size_t(r) * size_t(cols) + size_t(c)]; }
};

struct CkaRequest {
    std::string data = "fashion-mnist:test"; ///< a data-source spec (see DataSource.h)
    long long limit = 500;
    long long batch = 64;
    std::string kernel = "linear", estimator = "minibatch", feature = "flatten";
};

struct CkaResult {
    Matrix aa, bb, ab; ///< bb and ab empty without a second model
    long long examples = 0;
    std::vector<std::string> skipped;
};

struct MadRequest {
    std::string data = "fashion-mnist:test";
    long long limit = 200;
    long long batch = 64;
    bool renormalised = false;
};

/// Mean attention distance of one model: mean and standard deviation over images.
struct MadResult {
    Matrix mean, std; ///< [applications x heads], pixels
    long long examples = 0;
    std::vector<std::string> skipped;
};

/// MAD of each model over the same images (progress covers all models).
std::vector<MadResult> computeMad(const std::vector<const ModelSession*>& models,
                                  const MadRequest& request, const JobContext& job);

struct LevelsRequest {
    std::string data = "fashion-mnist:test";
    long long limit = 200;
    long long batch = 64;
};

/// Level signals and depth dynamics of one model over images (see LevelsRun): statistics as
/// [rows x cols] matrices; empty where the family has no such signal.
struct LevelsResult {
    std::string family;
    Matrix dynamics; ///< [4 x A]: relative update mean, std; cosine to previous mean, std
    Matrix signalRatioMean, signalRatioStd; ///< RingFormer [4 (Q,K,V,F) x T]
    Matrix lowRankNorm;                     ///< RingFormer [4 x T]
    std::vector<Matrix> singularValues;     ///< RingFormer, per signal [T x r]
    std::vector<Matrix> levelCosine;        ///< RingFormer, per signal [T x T]
    std::vector<Matrix> ratioPerToken;      ///< RingFormer, per signal [T x N] (token 0 = CLS)
    Matrix encodingRatio;                   ///< UiT [2 x T]: mean, std of ||E_t|| / ||h_(t-1)||
    long long examples = 0;
};

LevelsResult computeLevels(const ModelSession& model, const LevelsRequest& request,
                           const JobContext& job);

/// Class probabilities of each model for each image: one [images x classes] matrix per model.
/// Unreadable images cannot occur here (the workspace holds decoded images).
std::vector<Matrix> classifyImages(const std::vector<const ModelSession*>& models,
                                   const std::vector<std::shared_ptr<const cv::Mat>>& images,
                                   const JobContext& job);

/// CKA A x A, B x B and A x B over the same examples (B may be null). Throws on bad data.
CkaResult computeCka(const ModelSession& a, const ModelSession* b, const CkaRequest& request,
                     const JobContext& job);

} // namespace ringscope::gui
