/* Fused element-wise kernels for the optimiser step (optional; NumPy fallback in Python).
 *
 * Each kernel does in one pass over memory what NumPy needs several whole-array passes for.
 * They take writable buffers (NumPy arrays, C-contiguous) of float32 ('f') or float64 ('d'),
 * all of one type and length, and release the GIL while they run. The arithmetic is the same as
 * the NumPy code in backprop/optim/transforms.py; only the order of memory traffic changes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>

/* On x86-64 with GCC, compile the loops twice -- baseline SSE2 and AVX2 -- and let the loader
 * pick the one the running CPU supports (function multi-versioning; no -march flag needed). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

MULTIVERSION
static void adam_d(double *u, double *m, double *v, Py_ssize_t n, double b1, double b2,
                   double eps_hat, double scale) {
    const double c1 = 1.0 - b1, c2 = 1.0 - b2;
    for (Py_ssize_t i = 0; i < n; i++) {
        double g = u[i];
        double mi = m[i] + c1 * (g - m[i]);
        double vi = b2 * v[i] + c2 * (g * g);
        m[i] = mi;
        v[i] = vi;
        u[i] = scale * (mi / (sqrt(vi) + eps_hat));
    }
}

MULTIVERSION
static void adam_f(float *u, float *m, float *v, Py_ssize_t n, double b1, double b2,
                   double eps_hat, double scale) {
    const float c1 = (float)(1.0 - b1), c2 = (float)(1.0 - b2), fb2 = (float)b2;
    const float fe = (float)eps_hat, fs = (float)scale;
    for (Py_ssize_t i = 0; i < n; i++) {
        float g = u[i];
        float mi = m[i] + c1 * (g - m[i]);
        float vi = fb2 * v[i] + c2 * (g * g);
        m[i] = mi;
        v[i] = vi;
        u[i] = fs * (mi / (sqrtf(vi) + fe));
    }
}

MULTIVERSION
static void axpy_d(double *y, const double *x, Py_ssize_t n, double a) {
    for (Py_ssize_t i = 0; i < n; i++) y[i] += a * x[i];
}

MULTIVERSION
static void axpy_f(float *y, const float *x, Py_ssize_t n, double a) {
    const float fa = (float)a;
    for (Py_ssize_t i = 0; i < n; i++) y[i] += fa * x[i];
}

static int get_buffers(PyObject *const *objs, Py_buffer *bufs, int n, int *is_double,
                       Py_ssize_t *len) {
    for (int i = 0; i < n; i++) {
        if (PyObject_GetBuffer(objs[i], &bufs[i], PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS |
                               PyBUF_FORMAT) < 0) {
            for (int j = 0; j < i; j++) PyBuffer_Release(&bufs[j]);
            return -1;
        }
    }
    const char *fmt = bufs[0].format ? bufs[0].format : "B";
    int dbl = (fmt[0] == 'd' && fmt[1] == 0);
    int flt = (fmt[0] == 'f' && fmt[1] == 0);
    Py_ssize_t items = bufs[0].len / (bufs[0].itemsize ? bufs[0].itemsize : 1);
    int ok = (dbl || flt);
    for (int i = 1; i < n && ok; i++) {
        const char *f = bufs[i].format ? bufs[i].format : "B";
        ok = (f[0] == fmt[0] && f[1] == 0 && bufs[i].len == bufs[0].len);
    }
    if (!ok) {
        for (int j = 0; j < n; j++) PyBuffer_Release(&bufs[j]);
        PyErr_SetString(PyExc_TypeError,
                        "kernels need C-contiguous float32 or float64 arrays of equal size");
        return -1;
    }
    *is_double = dbl;
    *len = items;
    return 0;
}

/* adam_direction(u, m, v, b1, b2, eps_hat, scale):
 *   m = m + (1 - b1) (u - m);  v = b2 v + (1 - b2) u^2;  u = scale * m / (sqrt(v) + eps_hat)  */
static PyObject *adam_direction(PyObject *self, PyObject *args) {
    PyObject *o[3];
    double b1, b2, eps_hat, scale;
    if (!PyArg_ParseTuple(args, "OOOdddd", &o[0], &o[1], &o[2], &b1, &b2, &eps_hat, &scale))
        return NULL;
    Py_buffer b[3];
    int dbl;
    Py_ssize_t n;
    if (get_buffers(o, b, 3, &dbl, &n) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (dbl)
        adam_d(b[0].buf, b[1].buf, b[2].buf, n, b1, b2, eps_hat, scale);
    else
        adam_f(b[0].buf, b[1].buf, b[2].buf, n, b1, b2, eps_hat, scale);
    Py_END_ALLOW_THREADS
    for (int i = 0; i < 3; i++) PyBuffer_Release(&b[i]);
    Py_RETURN_NONE;
}

/* axpy(y, x, a): y += a * x */
static PyObject *axpy(PyObject *self, PyObject *args) {
    PyObject *o[2];
    double a;
    if (!PyArg_ParseTuple(args, "OOd", &o[0], &o[1], &a)) return NULL;
    Py_buffer b[2];
    int dbl;
    Py_ssize_t n;
    if (get_buffers(o, b, 2, &dbl, &n) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (dbl)
        axpy_d(b[0].buf, b[1].buf, n, a);
    else
        axpy_f(b[0].buf, b[1].buf, n, a);
    Py_END_ALLOW_THREADS
    for (int i = 0; i < 2; i++) PyBuffer_Release(&b[i]);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"adam_direction", adam_direction, METH_VARARGS,
     "adam_direction(u, m, v, b1, b2, eps_hat, scale): Adam's moments and direction, fused."},
    {"axpy", axpy, METH_VARARGS, "axpy(y, x, a): y += a * x, in place."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Optional fused element-wise kernels for backprop's optimiser step.", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
