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
# timeline-<gpu>-<app>.csv. Writes PNG and SVG next to them:
#   capacity-<gpu>      gain over Unopt per system and application, with the paper's
#   rates-<gpu>         maximum serviceable demand (requests/s) per system and application
#   gains-vs-paper      our gains against the paper's, every application and GPU type
#   trace-<gpu>-<app>   slices used and violations over the day, four systems
#   batch-caps          geo-mean gains against the batch-size cap (batch-caps-gains.csv)

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
set datafile missing "NaN"
set encoding utf8

do for [ext in "png svg"] {
    if (ext eq "png") {
        set terminal pngcairo size 1100,600 font "sans,10" noenhanced
    } else {
        set terminal svg size 1100,600 font "sans,10" noenhanced
    }

    do for [g in gpus] {
        # Gains over Unopt, clustered by system, log scale.
        f = "capacity-gains-" . g . ".csv"
        set output "capacity-" . g . "." . ext
        set title "Maximum serviceable demand as a multiple of Unopt (" . g . ", 120 GPUs); paper = JigsawServe's published gains"
        set style data histograms
        set style histogram clustered gap 1
        set style fill solid 0.85 border -1
        set boxwidth 0.9
        set logscale y
        set yrange [0.5:*]
        set ylabel "gain over Unopt (log)"
        set grid ytics
        set key top left
        set xtics nomirror
        plot for [i=2:5] f using i:xtic(1) title columnhead(i)
        unset logscale y
        set yrange [*:*]

        # Absolute maximum demand.
        f = "capacity-rates-" . g . ".csv"
        set output "rates-" . g . "." . ext
        set title "Maximum serviceable demand (requests/s), " . g . ", 120 GPUs"
        set logscale y
        set ylabel "requests/s (log)"
        plot for [i=2:4] f using i:xtic(1) title columnhead(i)
        unset logscale y
        unset style data
        set style data points
    }

    # Our gains against the paper's (systems with a published gain).
    set output "gains-vs-paper." . ext
    set title "Gain over Unopt: ours (y) against the paper's (x); on the diagonal = same gain"
    set logscale xy
    set xrange [0.8:40]
    set yrange [0.8:*]
    set xlabel "paper's gain over Unopt"
    set ylabel "our gain over Unopt"
    set key top left
    set grid
    plot for [g in gpus] for [i=2:4] "capacity-gains-" . g . ".csv" \
             using 5:i with points pointsize 1.5 title g . " " . word(apps, i - 1), \
         for [g in gpus] for [i=2:4] "capacity-gains-" . g . ".csv" \
             using 5:i:1 with labels offset 1.5,0.6 font "sans,8" notitle, \
         x with lines dashtype 2 lc rgb "gray40" title "same as the paper"
    unset logscale xy
    set xrange [*:*]
    set yrange [*:*]
    unset xlabel

    # Sensitivity to the batch-size cap (written only when that study ran).
    f = "batch-caps-gains.csv"
    if (system("test -s '" . f . "' && echo yes") eq "yes") {
        set output "batch-caps." . ext
        set title "Geo-mean gain over Unopt against the batch-size cap; dashed: the paper's S (5.25x) and A+S+T / A+T (11.3x)"
        set logscale y
        set yrange [0.5:*]
        set xlabel "largest batch size allowed"
        set ylabel "gain (log)"
        set key top right
        set grid
        plot for [i=2:6] f using 0:i:xtic(1) with linespoints lw 2 pointsize 1.2 title columnhead(i), \
             5.25 with lines dashtype 2 lc rgb "gray40" notitle, \
             11.3 with lines dashtype 2 lc rgb "gray20" notitle
        unset logscale y
        set yrange [*:*]
        unset xlabel
    }

    # Trace-driven study: slices and violations over the day.
    do for [ga in traces] {
        {
            g = ga[1:strstrt(ga, ":") - 1]
            a = ga[strstrt(ga, ":") + 1:]
            f = "timeline-" . g . "-" . a . ".csv"
            set output "trace-" . g . "-" . a . "." . ext
            set multiplot layout 2,1 title "Trace-driven study, " . a . ", " . g . ", 4 GPUs (NASA trace, 5-minute intervals)"
            set title ""
            set xlabel ""
            set xrange [0:*]
            set ylabel "slices used (% of cluster)"
            set yrange [0:105]
            set y2label "demand (requests/s)"
            set y2tics
            set ytics nomirror
            set key outside right
            plot for [i=3:6] f using 1:i with steps lw 2 title columnhead(i), \
                 f using 1:2 axes x1y2 with lines lc rgb "gray50" dashtype 3 title "demand"
            unset y2tics
            unset y2label
            set ytics mirror
            set xlabel "hour of the day"
            set ylabel "violations (% of requests)"
            set yrange [0:*]
            plot for [i=7:10] f using 1:i with steps lw 2 title columnhead(i)
            unset multiplot
            set yrange [*:*]
            set xrange [*:*]
        }
    }
}
