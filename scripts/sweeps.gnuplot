# Plot one sweep CSV of `jigsaw sweep` (columns documented in `jigsaw sweep --help`).
# scripts/run-sweeps.sh runs the shipped sweeps and this script on each; for your own:
#   jigsaw sweep my.json -o my.csv
#   gnuplot -c scripts/sweeps.gnuplot my.csv my.png latency "unopt A+T A+S A+S+T"
# (installed: <prefix>/share/jigsaw/scripts/sweeps.gnuplot).
# Rows are in point order with the systems innermost, so system k of n is every n-th row
# starting at row k -- `every n::k` selects one system's line without filtering.
#
#   gnuplot -c scripts/sweeps.gnuplot IN OUT KIND SYSTEMS [TITLE [HASGAIN]]
#   e.g. gnuplot -c scripts/sweeps.gnuplot x.csv x.png latency "unopt A+T A+S+T" "..."
# The arguments are taken as they are (gnuplot never parses them), so any file name or
# title is safe. Setting in, out, kind, systems, title and hasgain with -e also works but
# puts the values inside gnuplot commands.
# kind: latency  -> vs the latency SLO (column 5): capacity, and gain over Unopt
#       accuracy -> vs the accuracy SLO (column 6): capacity, and gain over Unopt
#       gpus     -> maximum serviceable rate vs cluster size (column 4)
# Capacity is column 10 (rate_rps; 0 = infeasible, not drawn on the log axis); gain is
# column 14 (gain_vs_unopt; empty where Unopt serves nothing).
if (ARGC >= 4) { in = ARG1; out = ARG2; kind = ARG3; systems = ARG4 }
if (ARGC >= 5) { title = ARG5 }
if (ARGC >= 6) { hasgain = (ARG6 eq "0") ? 0 : 1 }
if (!exists("in") || !exists("out") || !exists("kind") || !exists("systems")) {
    print "usage: gnuplot -c sweeps.gnuplot IN OUT KIND SYSTEMS [TITLE [HASGAIN]]"
    exit status 2
}
if (!exists("title")) title = in
n = words(systems)
set datafile separator ","
set datafile missing ""
# Okabe-Ito colours (colour-blind safe) with distinct dashes and points per system, as in
# plot-results.gnuplot: lines never differ by colour alone.
set linetype 1 lc rgb "#0072B2" lw 2 dt 1 pt 7
set linetype 2 lc rgb "#D55E00" lw 2 dt 2 pt 5
set linetype 3 lc rgb "#009E73" lw 2 dt 4 pt 9
set linetype 4 lc rgb "#CC79A7" lw 2 dt 3 pt 11
set linetype 5 lc rgb "#E69F00" lw 2 dt 5 pt 13
set linetype 6 lc rgb "#56B4E9" lw 2 dt 6 pt 3
set linetype 7 lc rgb "#000000" lw 2 dt 1 pt 1
set linetype cycle 7
set grid
set pointsize 1.2
set key outside right top noenhanced

if (kind eq "gpus") {
    set terminal pngcairo size 900,560 enhanced font "sans,11"
    set output out
    set title title noenhanced
    set xlabel "cluster size (GPUs)"
    set ylabel "maximum serviceable rate (requests/s)"
    set logscale xy
    set autoscale xfix
    set offsets graph 0.03, graph 0.03, 0, 0
    plot for [k=1:n] in skip 1 every n::(k-1) using 4:($10 > 0 ? $10 : NaN) \
         with linespoints lt k title word(systems, k)
    exit
}

col = (kind eq "latency") ? 5 : 6
xl = (kind eq "latency") ? "end-to-end latency SLO (ms)" : "accuracy SLO (PAS floor)"
set terminal pngcairo size 1300,520 enhanced font "sans,11"
set output out
set multiplot layout 1,2 title title noenhanced
set xlabel xl
set ylabel "maximum serviceable rate (requests/s)"
set logscale y
plot for [k=1:n] in skip 1 every n::(k-1) using col:($10 > 0 ? $10 : NaN) \
     with linespoints lt k title word(systems, k)
unset logscale y
set ylabel "maximum serviceable demand / Unopt's"
set yrange [0:*]
if (!exists("hasgain")) hasgain = 1
if (hasgain) {
    plot for [k=2:n] in skip 1 every n::(k-1) using col:14 with linespoints lt k \
         title word(systems, k)
} else {
    # Unopt serves nothing at any point of this sweep: a gain over it is undefined.
    set xrange [GPVAL_X_MIN:GPVAL_X_MAX]
    set yrange [0:1]
    set label 1 "Unopt is infeasible at every point:\ngain over Unopt undefined" at graph 0.5, 0.5 center
    plot NaN notitle
}
unset multiplot
