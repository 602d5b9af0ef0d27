package io.prefetchd.gateway.reports;

/** Small helpers shared by the report tests. */
final class ReportsTestSupport {
    private ReportsTestSupport() {
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
