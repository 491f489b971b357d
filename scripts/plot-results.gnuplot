# Plots of `jigsaw compare`'s tables (needs only gnuplot, e.g. Debian's gnuplot-nox:
# pngcairo and svg terminals).
#
#   gnuplot -c scripts/plot-results.gnuplot [RESDIR [GPUS [TRACES]]]
#   e.g. gnuplot -c scripts/plot-results.gnuplot results "a100 h100"
#
# The arguments are taken as they are (gnuplot never parses them), so any directory name
# is safe; `gnuplot -e "resdir='results'; gpus='a100'" scripts/plot-results.gnuplot` also
# works but puts the values inside a gnuplot command. Defaults: RESDIR results, GPUS
# "a100 h100", TRACES every gpu:app pair. The script changes into RESDIR and names every
# file relative to it.
#
# Reads, in resdir: capacity-gains-<gpu>.csv, capacity-rates-<gpu>.csv,
# timeline-<gpu>-<app>.csv, batch-caps-gains.csv, and the cluster size, trace and day from
# capacity.json and trace.json. Writes PNG and SVG next to them:
#   capacity-<gpu>      gain over Unopt per system and application, with the paper's
#   rates-<gpu>         maximum serviceable demand (requests/s) per system and application
#   gains-vs-paper      our gains against the paper's, every application and GPU type
#   trace-<gpu>-<app>   slices used and violations over the window replayed, four systems
#   batch-caps          geo-mean gains against the batch-size cap (batch-caps-gains.csv)
#
# Everything shown comes from those files: titles (cluster size, trace, day), legends (the
# CSV headers, without their "share_"/"violations_" prefixes), axes (the hours of the
# window). Every series has its own colour AND dash or fill pattern (Okabe-Ito palette,
# safe for colour-blind readers, no yellow); a system that could not be planned is marked
# with an x where its bar would be, a gain without a feasible Unopt with a dash.

if (ARGC >= 1) { resdir = ARG1 }
if (ARGC >= 2) { gpus = ARG2 }
if (ARGC >= 3) { traces = ARG3 }
if (!exists("resdir")) resdir = "results"
if (!exists("gpus")) gpus = "a100 h100"
apps = "social-media traffic-analysis ar-assistant"
# The trace plots to draw, as gpu:app words (default: every pair).
if (!exists("traces")) {
    traces = ""
    do for [g in gpus] { do for [a in apps] { traces = traces . " " . g . ":" . a } }
}

cd resdir

set datafile separator ","
set datafile columnheaders   # the first line of every CSV names its columns
set encoding utf8

# Okabe-Ito colours with distinct dash types and point types: a series never differs from
# another by colour alone.
set linetype 1 lc rgb "#0072B2" lw 2 dt 1 pt 7
set linetype 2 lc rgb "#D55E00" lw 2 dt 2 pt 5
set linetype 3 lc rgb "#009E73" lw 2 dt 4 pt 9
set linetype 4 lc rgb "#CC79A7" lw 2 dt 3 pt 11
set linetype 5 lc rgb "#E69F00" lw 2 dt 5 pt 13
set linetype 6 lc rgb "#56B4E9" lw 2 dt 6 pt 3
set linetype 7 lc rgb "#000000" lw 2 dt 1 pt 1
set linetype cycle 7

# Files are fixed names inside resdir; system() runs there (cd above).
# The header's words (for names without blanks) and its number of columns.
header(f) = system("head -n 1 '" . f . "' | tr ',' ' '")
ncols(f) = int(system("head -n 1 '" . f . "' | tr ',' '\n' | wc -l"))
rows(f) = int(system("tail -n +2 '" . f . "' | wc -l"))
# The smallest number among the data columns (2..) of a CSV: where marks go on a log axis.
smallest(f) = real(system("tail -n +2 '" . f . "' | cut -d, -f2- | tr ',' '\\n' | " . \
                          "grep -E '^[0-9.]+(e[-+]?[0-9]+)?$' | sort -g | head -n 1"))
# The first number after "key": in a JSON file (cJSON writes one key per line).
json_num(f, key) = system("sed -n 's/.*\"" . key . "\":[[:space:]]*\\([0-9.]*\\).*/\\1/p' '" . \
                          f . "' | head -n 1")
json_str(f, key) = system("sed -n 's/.*\"" . key . "\":[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p' '" . \
                          f . "' | head -n 1")
feasible(i) = strcol(i) ne "NaN" && strcol(i) ne ""
# Column i of f holds no number at all.
nodata(f, i) = int(system("tail -n +2 '" . f . "' | cut -d, -f" . sprintf("%d", i) . \
                          " | grep -Ec '^[0-9]'")) == 0
# Series names from a header word: "share_A+S+T" -> "A+S+T", "paper" -> the paper's gain.
after_(w) = strstrt(w, "_") > 0 ? w[strstrt(w, "_") + 1:] : w
series(w) = w eq "paper" ? "paper (JigsawServe, published)" : after_(w)
# Fill per bar series: solid, two hatchings, cross-hatch.
pattern(k) = k == 1 ? 3 : (k == 2 ? 4 : (k == 3 ? 5 : 1))

big_gpus = json_num("capacity.json", "gpus")
cluster = big_gpus ne "" ? big_gpus . " GPUs" : "the study's cluster"
trace_name = json_str("trace.json", "trace")
trace_day = json_num("trace.json", "trace_day")
interval_min = json_num("trace.json", "interval_s")
interval_min = interval_min ne "" ? sprintf("%g", real(interval_min) / 60) : "5"

# Clustered bars of columns 2.. of f, one cluster per row (system): x offsets by hand so
# that the infeasibility marks sit exactly where the missing bar would be.
nser = 0
barx(k) = column(0) + (k - (nser + 1) / 2.0) * 0.8 / nser

do for [ext in "png svg"] {
    if (ext eq "png") {
        set terminal pngcairo size 1100,600 font "sans,10" noenhanced
    } else {
        set terminal svg size 1100,600 font "sans,10" noenhanced
    }

    do for [g in gpus] {
        do for [what in "gains rates"] {
            f = "capacity-" . what . "-" . g . ".csv"
            h = header(f)
            nser = ncols(f) - 1
            lo = smallest(f)
            set output (what eq "gains" ? "capacity-" : "rates-") . g . "." . ext
            if (what eq "gains") {
                set title "Maximum serviceable demand as a multiple of Unopt (" . g . ", " . \
                          cluster . "); paper = JigsawServe's published gains"
                set ylabel "gain over Unopt (log)"
            } else {
                set title "Maximum serviceable demand (requests/s), " . g . ", " . cluster
                set ylabel "requests/s (log)"
            }
            set logscale y
            set yrange [lo / 2.5:*]
            set xrange [-0.6:rows(f) - 0.4]
            set boxwidth 0.8 / nser absolute
            set grid ytics
            set key top left
            set xtics nomirror
            set label 1 "x: system infeasible (no plan meets the SLOs)" . \
                (what eq "gains" ? "   -: no gain (Unopt infeasible)" : "") \
                at graph 0.99, graph 0.97 right font "sans,9"
            plot f using 0:(1/0):xtic(1) notitle, \
                 for [k=1:nser] f using (barx(k)):(feasible(k + 1) ? column(k + 1) : 1/0) \
                     with boxes lt k fs pattern pattern(k) border lt k title series(word(h, k + 1)), \
                 for [k=1:nser] f using (barx(k)):(strcol(k + 1) eq "NaN" ? lo / 1.6 : 1/0):("x") \
                     with labels tc lt k font "sans,12" notitle, \
                 for [k=1:nser] f using (barx(k)):(strcol(k + 1) eq "" ? lo / 1.6 : 1/0):("-") \
                     with labels tc lt k font "sans,14" notitle
            unset label 1
            unset logscale y
            set yrange [*:*]
            set xrange [*:*]
        }
    }

    # Our gains against the paper's (systems with a published gain): one colour and point
    # shape per GPU type and application; the systems named once along the bottom.
    set output "gains-vs-paper." . ext
    set title "Gain over Unopt: ours (y) against the paper's (x); on the diagonal = same gain"
    set logscale xy
    set xrange [0.8:40]
    set yrange [0.3:*]
    set xlabel "paper's gain over Unopt"
    set ylabel "our gain over Unopt"
    set key top left
    set grid
    first = "capacity-gains-" . word(gpus, 1) . ".csv"
    plot for [gi=1:words(gpus)] for [i=2:4] "capacity-gains-" . word(gpus, gi) . ".csv" \
             using 5:(feasible(i) ? column(i) : 1/0) with points lt ((gi - 1) * 3 + i - 1) \
             pointsize 1.6 title word(gpus, gi) . " " . word(apps, i - 1) . \
             (nodata("capacity-gains-" . word(gpus, gi) . ".csv", i) ? \
              " (none: no feasible Unopt)" : ""), \
         first using 5:(0.33):1 with labels rotate by 90 left font "sans,8" notitle, \
         x with lines dashtype 2 lc rgb "gray40" title "same as the paper"
    unset logscale xy
    set xrange [*:*]
    set yrange [*:*]
    unset xlabel

    # Sensitivity to the batch-size cap (written only when that study ran).
    f = "batch-caps-gains.csv"
    if (system("test -s '" . f . "' && echo yes") eq "yes") {
        set output "batch-caps." . ext
        set title "Geo-mean gain over Unopt against the batch-size cap; dashed grey: the paper's S (5.25x) and A+S+T / A+T (11.3x)"
        set logscale y
        set yrange [0.5:*]
        set xlabel "largest batch size allowed"
        set ylabel "gain (log)"
        set key top right
        set grid
        plot for [i=2:ncols(f)] f using 0:(feasible(i) ? column(i) : 1/0):xtic(1) \
                 with linespoints lt (i - 1) pointsize 1.2 title columnhead(i), \
             5.25 with lines dashtype 2 lc rgb "gray40" notitle, \
             11.3 with lines dashtype 2 lc rgb "gray20" notitle
        unset logscale y
        set yrange [*:*]
        unset xlabel
    }

    # Trace-driven study: slices and violations over the window replayed. A+S+T is drawn
    # first and widest, so a system with the same figures (A+S on the depth-1 application)
    # shows as a dashed line on top of it instead of hiding it.
    do for [ga in traces] {
        {
            g = ga[1:strstrt(ga, ":") - 1]
            a = ga[strstrt(ga, ":") + 1:]
            f = "timeline-" . g . "-" . a . ".csv"
            h = header(f)
            n = (ncols(f) - 2) / 2
            slices = json_num("trace.json", "cluster_slices")
            set output "trace-" . g . "-" . a . "." . ext
            set multiplot layout 2,1 title "Trace-driven study, " . a . ", " . g . \
                (slices ne "" ? ", " . slices . " slices" : "") . " (" . trace_name . \
                ", day " . trace_day . ", " . interval_min . "-minute intervals)"
            set title ""
            set xlabel ""
            set xrange [*:*]
            set autoscale xfixmin
            set autoscale xfixmax
            set ylabel "slices used (% of cluster)"
            set yrange [0:105]
            set y2label "demand (requests/s)"
            set y2tics
            set ytics nomirror
            set key outside right
            # A column with no value at all: the system was not run (infeasible plan).
            unrun(i) = nodata(f, i)
            plot for [i=3:2 + n] f using 1:(feasible(i) ? column(i) : 1/0) with steps \
                     lt (i - 2) lw (i == 3 ? 5 : 2) \
                     title series(word(h, i)) . (unrun(i) ? " (infeasible, not run)" : ""), \
                 f using 1:2 axes x1y2 with lines lc rgb "gray60" lw 1 dashtype 1 title "demand (right axis)"
            unset y2tics
            unset y2label
            set ytics mirror
            set xlabel "hour of the day"
            set ylabel "violations (% of requests)"
            set yrange [0:*]
            plot for [i=3 + n:2 + 2 * n] f using 1:(feasible(i) ? column(i) : 1/0) with steps \
                     lt (i - 2 - n) lw (i == 3 + n ? 5 : 2) \
                     title series(word(h, i)) . (unrun(i) ? " (infeasible, not run)" : "")
            unset multiplot
            set yrange [*:*]
            set xrange [*:*]
            set autoscale x
        }
    }
}
