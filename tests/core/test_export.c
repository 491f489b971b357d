/* Deployment exports of `jigsaw plan`: the nvidia-mig-parted configuration lists every GPU
 * of every node of cluster.gpus_per_node GPUs (unused ones without instances), and says
 * where the planned start positions matter; the CSV numbers nodes the same way.
 * Runs JS_JIGSAW_EXE on scenarios/example.json with a patched cluster. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define SRC JS_SOURCE_ROOT
#define EXE JS_JIGSAW_EXE

static char dir[] = "/tmp/jigsaw-export-XXXXXX";

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *buf = calloc(1, 1 << 16);
    cr_assert_not_null(buf);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* scenarios/example.json with cluster {gpus, gpus_per_node} and the demand scaled, planned
 * with the paper's rule in FORMAT into dir/out. */
static void export(int gpus, int per_node, double scale, const char *format)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "sed -e 's/\"gpus\": 4, \"max_workers\": 4/\"gpus\": %d, \"max_workers\": 4, "
             "\"gpus_per_node\": %d/' -e 's|\"profiles\": \"../profiles\"|\"profiles\": \"%s/"
             "profiles\"|' '%s/scenarios/example.json' > '%s/s.json' && grep -q gpus_per_node "
             "'%s/s.json' && '%s' plan '%s/s.json' --rule paper --system S --scale %g "
             "--format %s -o '%s/out' 2>/dev/null",
             gpus, per_node, SRC, SRC, dir, dir, EXE, dir, scale, format, dir);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", cmd);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(export, .init = setup, .fini = teardown);

Test(export, migparted_every_gpu_of_every_node)
{
    /* 5 GPUs in nodes of 2: nodes 0, 1, 2 (the last with one GPU), every index listed. */
    export(5, 2, 1.0, "mig-parted");
    char path[512];
    snprintf(path, sizeof path, "%s/out", dir);
    char *y = slurp(path);
    cr_assert_eq(count(y, "  jigsaw-node-"), 3, "%s", y);
    cr_assert_not_null(strstr(y, "jigsaw-node-2:\n    - devices: [0]\n"), "%s", y);
    cr_assert_null(strstr(y, "jigsaw-node-3"));
    cr_assert_not_null(strstr(y, "(2 GPUs per node"), "%s", y);
    /* The unused GPUs appear, with MIG on and no instances. */
    cr_assert_not_null(strstr(y, "mig-devices: {}"), "%s", y);
    /* Every index 0..1 of nodes 0 and 1 and index 0 of node 2 is in exactly one group. */
    int listed = 0;
    for (const char *p = strstr(y, "devices: ["); p; p = strstr(p + 1, "devices: [")) {
        for (p += 10; *p != ']'; p++)
            listed += *p >= '0' && *p <= '9';
    }
    cr_assert_eq(listed, 5, "%s", y);
    free(y);
}

Test(export, migparted_says_where_positions_matter)
{
    /* System S plans whole-GPU-free small instances: a 1g + 2g GPU can be placed several
     * ways, so the planned starts are given in a comment pointing to the CSV. */
    export(4, 8, 1.0, "mig-parted");
    char path[512];
    snprintf(path, sizeof path, "%s/out", dir);
    char *y = slurp(path);
    cr_assert_not_null(strstr(y, "# positions matter here"), "%s", y);
    cr_assert_not_null(strstr(y, "mig_start"), "%s", y);
    cr_assert_not_null(strstr(y, "@"), "%s", y);
    free(y);
    /* A whole GPU (7g) has one placement: no such comment. */
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' plan scenarios/example.json --rule paper "
             "--system unopt --format mig-parted -o '%s/unopt' 2>/dev/null", SRC, EXE, dir);
    cr_assert_eq(system(cmd), 0);
    snprintf(path, sizeof path, "%s/unopt", dir);
    y = slurp(path);
    cr_assert_not_null(strstr(y, "\"7g.80gb\""), "%s", y);
    cr_assert_null(strstr(y, "positions matter"), "%s", y);
    free(y);
}

Test(export, csv_nodes_follow_gpus_per_node)
{
    /* Enough demand for several GPUs; nodes of 1 GPU: node = GPU index, gpu always 0. */
    export(6, 1, 6.0, "csv");
    char path[512];
    snprintf(path, sizeof path, "%s/out", dir);
    char *c = slurp(path);
    int rows = 0, node1 = 0;
    for (char *line = strtok(c, "\n"); line; line = strtok(NULL, "\n")) {
        if (rows++ == 0)
            continue;
        int node, gpu;
        cr_assert_eq(sscanf(line, "%d,%d,", &node, &gpu), 2, "%s", line);
        cr_assert_eq(gpu, 0, "%s", line);
        node1 += node >= 1;
    }
    cr_assert(node1 > 0, "the plan used only one GPU: the test would prove nothing");
    free(c);
}
