// The app's analysis cache: bounded in bytes, least recently used out first, never the image
// on screen; dropping a slot or everything keeps the byte count right.
#include "TestSupport.h"

#include "document/AnalysisCache.h"

#include <QtTest>

using namespace ringscope::gui;

namespace {

/// An analysis the size of the RingFormer demo model's: 6 applications, 4 heads, 50 tokens,
/// 10 classes. `tag` marks it (first attention value).
std::shared_ptr<ImageAnalysis> analysis(float tag) {
    auto a = std::make_shared<ImageAnalysis>();
    a->applications = 6;
    a->heads = 4;
    a->tokens = 50;
    a->classes = 10;
    a->attention.assign(6 * 4 * 50 * 50, 0.f);
    a->attention[0] = tag;
    a->probabilities.assign(10, 0.1);
    a->lens.assign(60, 0.1);
    return a;
}

} // namespace

class TestAnalysisCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bytesOfAnAnalysis() {
        QCOMPARE(AnalysisCache::bytesOf(*analysis(1)),
                 sizeof(ImageAnalysis) + 60000 * sizeof(float) + 70 * sizeof(double));
    }

    void leastRecentlyUsedGoFirst() {
        const size_t one = AnalysisCache::bytesOf(*analysis(0));
        AnalysisCache cache;
        cache.setBudget(3 * one);
        for (int i = 0; i < 3; ++i)
            cache.insert(0, i, analysis(float(i)), i);
        QCOMPARE(cache.size(), 3);
        QCOMPARE(cache.bytes(), 3 * one);
        // Image 0 used again: image 1 is now the least recently used and goes when 3 comes.
        QCOMPARE(cache.find(0, 0)->attention[0], 0.f);
        cache.insert(0, 3, analysis(3), 3);
        QCOMPARE(cache.size(), 3);
        QCOMPARE(cache.bytes(), 3 * one);
        QVERIFY(cache.find(0, 0));
        QVERIFY(!cache.find(0, 1));
        QCOMPARE(cache.find(0, 3)->attention[0], 3.f);
        // Replacing an entry does not count it twice.
        cache.insert(0, 3, analysis(33), 3);
        QCOMPARE(cache.bytes(), 3 * one);
        QCOMPARE(cache.find(0, 3)->attention[0], 33.f);
    }

    void theImageOnScreenStays() {
        const size_t one = AnalysisCache::bytesOf(*analysis(0));
        AnalysisCache cache;
        cache.setBudget(2 * one);
        // Image 5 is on screen: its two models' analyses stay even when they are the oldest.
        cache.insert(0, 5, analysis(50), 5);
        cache.insert(1, 5, analysis(51), 5);
        cache.insert(0, 6, analysis(60), 5);
        QVERIFY(cache.find(0, 5));
        QVERIFY(cache.find(1, 5));
        QVERIFY(!cache.find(0, 6));
        QCOMPARE(cache.bytes(), 2 * one);
        // A budget smaller than the image on screen needs: it stays, over budget.
        cache.setBudget(one / 2);
        cache.insert(1, 5, analysis(52), 5);
        QCOMPARE(cache.size(), 2);
        QCOMPARE(cache.bytes(), 2 * one);
    }

    void droppingKeepsTheCount() {
        const size_t one = AnalysisCache::bytesOf(*analysis(0));
        AnalysisCache cache;
        for (int i = 0; i < 4; ++i) {
            cache.insert(0, i, analysis(float(i)), 0);
            cache.insert(2, i, analysis(float(i)), 0);
        }
        QCOMPARE(cache.bytes(), 8 * one);
        cache.dropSlot(2);
        QCOMPARE(cache.size(), 4);
        QCOMPARE(cache.bytes(), 4 * one);
        QVERIFY(!cache.find(2, 0));
        QVERIFY(cache.find(0, 3));
        cache.clear();
        QCOMPARE(cache.size(), 0);
        QCOMPARE(cache.bytes(), size_t(0));
    }
};

QTEST_APPLESS_MAIN(TestAnalysisCache)
#include "TestAnalysisCache.moc"
