// parseNumberList, the one parser of comma-separated numbers (the CLI's --mean and --std, the
// app's normalisation fields): what a person types is read, anything else is refused with a
// message naming the field and quoting the text, whatever the process's locale.
#include "ringscope/model/core/Error.h"
#include "ringscope/model/core/NumberList.h"

#include <QtTest>

#include <clocale>
#include <string>
#include <vector>

using namespace ringscope;

class TestNumberList : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void readsWhatAPersonTypes_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<std::vector<double>>("expected");
        QTest::newRow("plain") << "0.485,0.456,0.406" << std::vector<double>{0.485, 0.456, 0.406};
        QTest::newRow("blanks") << " 0.5 ,\t0.25,  1 " << std::vector<double>{0.5, 0.25, 1.0};
        QTest::newRow("one") << "0.5" << std::vector<double>{0.5};
        QTest::newRow("exponent and sign") << "-1e-3,2.5E2" << std::vector<double>{-1e-3, 250.0};
        QTest::newRow("empty items") << "0.5,,0.5," << std::vector<double>{0.5, 0.5};
    }
    void readsWhatAPersonTypes() {
        QFETCH(QString, text);
        QFETCH(std::vector<double>, expected);
        QCOMPARE(parseNumberList(text.toStdString(), "--mean"), expected);
    }

    void refusesWhatIsNotANumber_data() {
        QTest::addColumn<QString>("text");
        int row = 0;
        for (const char* bad :
             {"", " , ", "0.5,x", "0.5;0.5", "1 2", "0.5,nan", "inf", "0x10", "1e999", "0.5e"})
            QTest::addRow("%d", row++) << QString(bad);
    }
    void refusesWhatIsNotANumber() {
        QFETCH(QString, text);
        try {
            parseNumberList(text.toStdString(), "--std");
            QFAIL("accepted");
        } catch (const RingScopeError& e) {
            const std::string message = e.what();
            QVERIFY2(message.rfind("--std takes numbers separated by commas", 0) == 0,
                     message.c_str());
            QVERIFY2(message.find("'" + text.toStdString() + "'") != std::string::npos,
                     message.c_str());
        }
    }

    /// A decimal comma locale (as a desktop may set) changes nothing: the C format is read.
    void localeDoesNotMatter() {
        const std::string before = std::setlocale(LC_NUMERIC, nullptr);
        if (!std::setlocale(LC_NUMERIC, "de_DE.UTF-8") &&
            !std::setlocale(LC_NUMERIC, "fr_FR.UTF-8"))
            QSKIP("no locale with a decimal comma is installed");
        const std::vector<double> got = parseNumberList("0.25, 0.5", "--mean");
        std::setlocale(LC_NUMERIC, before.c_str());
        QCOMPARE(got, (std::vector<double>{0.25, 0.5}));
    }
};

QTEST_GUILESS_MAIN(TestNumberList)
#include "TestNumberList.moc"
