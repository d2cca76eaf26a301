// Every input the fuzzers ever found (tests/fuzz/regressions/TARGET/*) runs through the same
// reader as its fuzz target (tests/fuzz/FuzzReaders.h), in the normal suite and under
// AddressSanitizer + UndefinedBehaviorSanitizer (the asan preset): each must now end in a clean
// read or a clear refusal. What each finding was and how it was fixed: regressions/README.md.
#include "TestSupport.h"

#include "FuzzReaders.h"

#include <QtTest>

#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;
using namespace ringscope;

class TestFuzzRegressions : public QObject {
    Q_OBJECT

    static std::string regressionsDir() { return test::sourceDir() + "/tests/fuzz/regressions"; }

private Q_SLOTS:
    /// Every folder is named after a fuzz target, so that a finding cannot be filed where no
    /// test reads it.
    void foldersAreTargets() {
        std::set<std::string> targets;
        for (const auto& t : fuzz::kTargets)
            targets.insert(t.name);
        for (const auto& e : fs::directory_iterator(regressionsDir()))
            if (e.is_directory())
                QVERIFY2(targets.count(e.path().filename().string()), e.path().string().c_str());
    }

    void inputsEndCleanly_data() {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("file");
        int rows = 0;
        for (const auto& t : fuzz::kTargets) {
            const fs::path dir = fs::path(regressionsDir()) / t.name;
            if (!fs::is_directory(dir)) continue;
            for (const auto& e : fs::directory_iterator(dir)) {
                if (!e.is_regular_file()) continue;
                const std::string name = std::string(t.name) + "/" + e.path().filename().string();
                QTest::newRow(name.c_str())
                    << QString(t.name) << QString::fromStdString(e.path().string());
                ++rows;
            }
        }
        QVERIFY(rows > 0);
    }

    /// The input ends in a read or a refusal with a message (which names the file, where the
    /// reader has one); the expected outcome of the findings with a known cause is checked.
    void inputsEndCleanly() {
        QFETCH(QString, target);
        QFETCH(QString, file);
        const std::string bytes = test::readBytes(file.toStdString());
        const auto* t = std::find_if(std::begin(fuzz::kTargets), std::end(fuzz::kTargets),
                                     [&](const fuzz::Target& x) { return target == x.name; });
        QVERIFY(t != std::end(fuzz::kTargets));
        const fuzz::Outcome o =
            t->run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
        if (o.refused) QVERIFY2(!o.message.empty(), "a refusal without a message");
        static const std::map<std::string, std::string> expected{
            {"legacy-empty-storage.pt",
             "storage view starts at element 2 of storage '141', which holds only 0"},
        };
        const auto known = expected.find(fs::path(file.toStdString()).filename().string());
        if (known != expected.end()) {
            QVERIFY2(o.refused, "expected a refusal");
            QVERIFY2(o.message.find(known->second) != std::string::npos, o.message.c_str());
        }
    }
};

QTEST_APPLESS_MAIN(TestFuzzRegressions)
#include "TestFuzzRegressions.moc"
