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

/* Adam's moments and direction, written into u (which held the incoming update g). */
#define ADAM_DIRECTION_BODY(T, SQRT)                                                   \
    const T c1 = (T)(1.0 - b1_), c2 = (T)(1.0 - b2_), b2 = (T)b2_;                     \
    const T eps_hat = (T)eps_, scale = (T)scale_;                                     \
    for (Py_ssize_t i = 0; i < n; i++) {                                              \
        T g = u[i];                                                                   \
        T mi = m[i] + c1 * (g - m[i]);                                                \
        T vi = b2 * v[i] + c2 * (g * g);                                              \
        m[i] = mi;                                                                    \
        v[i] = vi;                                                                    \
        u[i] = scale * (mi / (SQRT(vi) + eps_hat));                                   \
    }

MULTIVERSION
static void adam_d(double *u, double *m, double *v, Py_ssize_t n, double b1_, double b2_,
                   double eps_, double scale_) {
    ADAM_DIRECTION_BODY(double, sqrt)
}

MULTIVERSION
static void adam_f(float *u, float *m, float *v, Py_ssize_t n, double b1_, double b2_,
                   double eps_, double scale_) {
    ADAM_DIRECTION_BODY(float, sqrtf)
}

/* The whole Adam/AdamW step for one flat parameter vector, in one pass:
 *   u  = g + wd_pre * (mask_pre * p)                  (L2 decay, Adam's weight_decay)
 *   m  = m + (1 - b1) (u - m);  v = b2 v + (1 - b2) u^2
 *   d  = scale * m / (sqrt(v) + eps_hat) + wd_post * (mask_post * p)   (AdamW's decay)
 *   p  = p + (-lr) d
 * mask pointers may be NULL (every entry decays). */
#define ADAM_STEP_BODY(T, SQRT)                                                       \
    for (Py_ssize_t i = 0; i < n; i++) {                                              \
        T pi = p[i];                                                                  \
        T u = g[i];                                                                   \
        if (wd_pre != 0) u = u + (mpre ? pi * mpre[i] : pi) * wd_pre;                 \
        T mi = m[i] + c1 * (u - m[i]);                                                \
        T vi = b2 * v[i] + c2 * (u * u);                                              \
        m[i] = mi;                                                                    \
        v[i] = vi;                                                                    \
        T d = scale * (mi / (SQRT(vi) + eps_hat));                                    \
        if (wd_post != 0) d = d + (mpost ? pi * mpost[i] : pi) * wd_post;             \
        p[i] = pi + neg_lr * d;                                                       \
    }

MULTIVERSION
static void adam_step_d(double *p, const double *g, double *m, double *v, const double *mpre,
                        const double *mpost, Py_ssize_t n, double b1_, double b2_,
                        double eps_, double scale_, double lr_, double wd_pre_,
                        double wd_post_) {
    const double c1 = 1.0 - b1_, c2 = 1.0 - b2_, b2 = b2_, eps_hat = eps_, scale = scale_;
    const double neg_lr = -lr_, wd_pre = wd_pre_, wd_post = wd_post_;
    ADAM_STEP_BODY(double, sqrt)
}

MULTIVERSION
static void adam_step_f(float *p, const float *g, float *m, float *v, const float *mpre,
                        const float *mpost, Py_ssize_t n, double b1_, double b2_, double eps_,
                        double scale_, double lr_, double wd_pre_, double wd_post_) {
    const float c1 = (float)(1.0 - b1_), c2 = (float)(1.0 - b2_), b2 = (float)b2_;
    const float eps_hat = (float)eps_, scale = (float)scale_, neg_lr = (float)(-lr_);
    const float wd_pre = (float)wd_pre_, wd_post = (float)wd_post_;
    ADAM_STEP_BODY(float, sqrtf)
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

/* adam_step(p, g, m, v, mask_pre, mask_post, b1, b2, eps_hat, scale, lr, wd_pre, wd_post);
 * mask_pre / mask_post: arrays like p, or None. */
static PyObject *adam_step(PyObject *self, PyObject *args) {
    PyObject *o[6];
    double b1, b2, eps_hat, scale, lr, wd_pre, wd_post;
    if (!PyArg_ParseTuple(args, "OOOOOOddddddd", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &b1,
                          &b2, &eps_hat, &scale, &lr, &wd_pre, &wd_post))
        return NULL;
    PyObject *objs[6];
    int k = 0, pre = -1, post = -1;
    for (int i = 0; i < 4; i++) objs[k++] = o[i];
    if (o[4] != Py_None) { pre = k; objs[k++] = o[4]; }
    if (o[5] != Py_None) { post = k; objs[k++] = o[5]; }
    Py_buffer b[6];
    int dbl;
    Py_ssize_t n;
    if (get_buffers(objs, b, k, &dbl, &n) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (dbl)
        adam_step_d(b[0].buf, b[1].buf, b[2].buf, b[3].buf, pre >= 0 ? b[pre].buf : NULL,
                    post >= 0 ? b[post].buf : NULL, n, b1, b2, eps_hat, scale, lr, wd_pre,
                    wd_post);
    else
        adam_step_f(b[0].buf, b[1].buf, b[2].buf, b[3].buf, pre >= 0 ? b[pre].buf : NULL,
                    post >= 0 ? b[post].buf : NULL, n, b1, b2, eps_hat, scale, lr, wd_pre,
                    wd_post);
    Py_END_ALLOW_THREADS
    for (int i = 0; i < k; i++) PyBuffer_Release(&b[i]);
    Py_RETURN_NONE;
}

/* Softmax cross-entropy with integer labels, fused: for each row i of logits z (m, k),
 *   p = exp(z - max) / sum exp(z - max);  loss_i = log(sum) - (z[t_i] - max)
 *   grad = (p - onehot(t)) * inv_m
 * Returns sum_i loss_i (accumulated in double); *bad is set to the first row whose label is out
 * of range (and the sum is abandoned), else left at -1. */
#define XENT_BODY(T, EXP, LOG)                                                         \
    double total = 0.0;                                                               \
    for (Py_ssize_t i = 0; i < m; i++) {                                              \
        const T *zi = z + i * k;                                                      \
        T *gi = g + i * k;                                                            \
        long long t = lab[i];                                                         \
        if (t < 0 || t >= k) { *bad = i; return 0.0; }                                \
        T mx = zi[0];                                                                 \
        Py_ssize_t am = 0;                                                            \
        for (Py_ssize_t j = 1; j < k; j++)                                            \
            if (zi[j] > mx) { mx = zi[j]; am = j; }                                   \
        *correct += (am == t);                                                        \
        T sum = 0;                                                                    \
        for (Py_ssize_t j = 0; j < k; j++) { T e = EXP(zi[j] - mx); gi[j] = e; sum += e; } \
        T scale = inv_m / sum;                                                        \
        for (Py_ssize_t j = 0; j < k; j++) gi[j] *= scale;                            \
        gi[t] -= inv_m;                                                               \
        total += (double)(LOG(sum) - (zi[t] - mx));                                   \
    }                                                                                 \
    return total;

static double xent_d(const double *z, const long long *lab, double *g, Py_ssize_t m,
                     Py_ssize_t k, double inv_m, Py_ssize_t *bad, Py_ssize_t *correct) {
    XENT_BODY(double, exp, log)
}

static double xent_f(const float *z, const long long *lab, float *g, Py_ssize_t m,
                     Py_ssize_t k, double inv_m_, Py_ssize_t *bad, Py_ssize_t *correct) {
    const float inv_m = (float)inv_m_;
    XENT_BODY(float, expf, logf)
}

/* softmax_xent(z, labels, grad) -> (sum of per-row losses, number of rows whose largest logit
 * -- the first, as argmax -- is the label's); z and grad (m, k) of one float type, labels int64
 * (m,). Raises IndexError naming the first out-of-range label. */
static PyObject *softmax_xent(PyObject *self, PyObject *args) {
    PyObject *oz, *ol, *og;
    if (!PyArg_ParseTuple(args, "OOO", &oz, &ol, &og)) return NULL;
    PyObject *pair[2] = {oz, og};
    Py_buffer b[2], lb;
    int dbl;
    Py_ssize_t n;
    if (get_buffers(pair, b, 2, &dbl, &n) < 0) return NULL;
    if (PyObject_GetBuffer(ol, &lb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&b[0]);
        PyBuffer_Release(&b[1]);
        return NULL;
    }
    Py_ssize_t m = lb.itemsize ? lb.len / lb.itemsize : 0;
    const char *lf = lb.format ? lb.format : "B";
    int ok = lb.itemsize == 8 && (lf[0] == 'q' || lf[0] == 'l') && lf[1] == 0 && m > 0 &&
             n % m == 0;
    double total = 0.0;
    Py_ssize_t bad_row = -1, correct = 0;
    if (ok) {
        Py_ssize_t k = n / m;
        Py_BEGIN_ALLOW_THREADS
        if (dbl)
            total = xent_d(b[0].buf, lb.buf, b[1].buf, m, k, 1.0 / (double)m, &bad_row,
                           &correct);
        else
            total = xent_f(b[0].buf, lb.buf, b[1].buf, m, k, 1.0 / (double)m, &bad_row,
                           &correct);
        Py_END_ALLOW_THREADS
    }
    long long bad_label = bad_row >= 0 ? ((long long *)lb.buf)[bad_row] : 0;
    PyBuffer_Release(&b[0]);
    PyBuffer_Release(&b[1]);
    PyBuffer_Release(&lb);
    if (!ok) {
        PyErr_SetString(PyExc_TypeError, "softmax_xent needs int64 labels, one per row");
        return NULL;
    }
    if (bad_row >= 0) {
        PyErr_Format(PyExc_IndexError, "label %lld at row %zd is out of range", bad_label,
                     bad_row);
        return NULL;
    }
    return Py_BuildValue("(dn)", total, correct);
}

/* all_finite(x) -> bool: no NaN or infinity in x. The exponent bits of every element are
 * tested with integer operations (an OR-reduction the compiler vectorises); one pass, no
 * temporary -- the training guard's check of the whole flat gradient. */
MULTIVERSION static int finite_f(const unsigned int *u, Py_ssize_t n) {
    unsigned int bad = 0;
    for (Py_ssize_t i = 0; i < n; i++) bad |= ((u[i] & 0x7f800000u) == 0x7f800000u);
    return !bad;
}
MULTIVERSION static int finite_d(const unsigned long long *u, Py_ssize_t n) {
    unsigned long long bad = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        bad |= ((u[i] & 0x7ff0000000000000ull) == 0x7ff0000000000000ull);
    return !bad;
}

static PyObject *all_finite(PyObject *self, PyObject *args) {
    PyObject *o[1];
    if (!PyArg_ParseTuple(args, "O", &o[0])) return NULL;
    Py_buffer b[1];
    int dbl, ok;
    Py_ssize_t n;
    if (get_buffers(o, b, 1, &dbl, &n) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    ok = dbl ? finite_d(b[0].buf, n) : finite_f(b[0].buf, n);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&b[0]);
    return PyBool_FromLong(ok);
}

/* relu_forward(x, y, mask): y = max(x, 0) with NaN kept (as np.maximum: -inf -> 0, NaN ->
 * NaN), mask = 1 where x > 0 else 0 (in x's type); one pass for both. */
#define RELU_BODY(T)                                                                      \
    for (Py_ssize_t i = 0; i < n; i++) {                                                  \
        T v = x[i];                                                                       \
        T on = v > (T)0 ? (T)1 : (T)0;                                                    \
        mask[i] = on;                                                                     \
        y[i] = v > (T)0 ? v : (v != v ? v : (T)0);                                       \
    }
MULTIVERSION static void relu_f(const float *x, float *y, float *mask, Py_ssize_t n) {
    RELU_BODY(float)
}
MULTIVERSION static void relu_d(const double *x, double *y, double *mask, Py_ssize_t n) {
    RELU_BODY(double)
}

static PyObject *relu_forward(PyObject *self, PyObject *args) {
    PyObject *o[3];
    if (!PyArg_ParseTuple(args, "OOO", &o[0], &o[1], &o[2])) return NULL;
    Py_buffer b[3];
    int dbl;
    Py_ssize_t n;
    if (get_buffers(o, b, 3, &dbl, &n) < 0) return NULL;
    Py_BEGIN_ALLOW_THREADS
    if (dbl)
        relu_d(b[0].buf, b[1].buf, b[2].buf, n);
    else
        relu_f(b[0].buf, b[1].buf, b[2].buf, n);
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
    {"adam_step", adam_step, METH_VARARGS,
     "adam_step(p, g, m, v, mask_pre, mask_post, b1, b2, eps_hat, scale, lr, wd_pre, wd_post):"
     " a whole Adam/AdamW update of a flat parameter vector, fused."},
    {"softmax_xent", softmax_xent, METH_VARARGS,
     "softmax_xent(z, labels, grad) -> (summed loss, correct rows); grad = (softmax(z) -"
     " onehot) / m."},
    {"axpy", axpy, METH_VARARGS, "axpy(y, x, a): y += a * x, in place."},
    {"all_finite", all_finite, METH_VARARGS,
     "all_finite(x) -> bool: no NaN or infinity in x (one pass, no temporary)."},
    {"relu_forward", relu_forward, METH_VARARGS,
     "relu_forward(x, y, mask): y = max(x, 0) (NaN kept), mask = 1[x > 0], in one pass."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_kernels",
    "Optional fused element-wise kernels for backprop's optimiser step.", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
