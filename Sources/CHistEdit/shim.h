// libedit's native <histedit.h> API for Swift: el_set, el_get and history are variadic, which
// Swift cannot call, so each use gets a fixed-signature wrapper here. Nothing else.
#ifndef CHISTEDIT_SHIM_H
#define CHISTEDIT_SHIM_H

#include <stdio.h>
#include <locale.h>
#include <histedit.h>

typedef char *_Nullable (*shim_prompt_fn)(EditLine *_Nonnull);
typedef unsigned char (*shim_edit_fn)(EditLine *_Nonnull, int);

static inline EditLine *_Nullable shim_el_init(const char *_Nonnull prog) {
    return el_init(prog, stdin, stdout, stderr);
}
static inline int shim_el_set_prompt(EditLine *_Nonnull el, shim_prompt_fn _Nonnull fn) {
    return el_set(el, EL_PROMPT, fn);
}
static inline int shim_el_set_editor(EditLine *_Nonnull el, const char *_Nonnull mode) {
    return el_set(el, EL_EDITOR, mode);
}
static inline int shim_el_set_signal(EditLine *_Nonnull el, int on) {
    return el_set(el, EL_SIGNAL, on);
}
static inline int shim_el_set_history(EditLine *_Nonnull el, History *_Nonnull h) {
    return el_set(el, EL_HIST, history, h);
}
static inline int shim_el_addfn(EditLine *_Nonnull el, const char *_Nonnull name,
                                const char *_Nonnull help, shim_edit_fn _Nonnull fn) {
    return el_set(el, EL_ADDFN, name, help, fn);
}
static inline int shim_el_bind(EditLine *_Nonnull el, const char *_Nonnull key, const char *_Nonnull fn) {
    return el_set(el, EL_BIND, key, fn, (const char *)NULL);
}
static inline int shim_el_set_clientdata(EditLine *_Nonnull el, void *_Nullable data) {
    return el_set(el, EL_CLIENTDATA, data);
}
static inline void *_Nullable shim_el_get_clientdata(EditLine *_Nonnull el) {
    void *data = NULL;
    el_get(el, EL_CLIENTDATA, &data);
    return data;
}
static inline int shim_history_setsize(History *_Nonnull h, int size) {
    HistEvent ev;
    return history(h, &ev, H_SETSIZE, size);
}
static inline int shim_history_setunique(History *_Nonnull h, int unique) {
    HistEvent ev;
    return history(h, &ev, H_SETUNIQUE, unique);
}
static inline int shim_history_enter(History *_Nonnull h, const char *_Nonnull line) {
    HistEvent ev;
    return history(h, &ev, H_ENTER, line);
}
static inline int shim_history_load(History *_Nonnull h, const char *_Nonnull path) {
    HistEvent ev;
    return history(h, &ev, H_LOAD, path);
}
static inline int shim_history_save(History *_Nonnull h, const char *_Nonnull path) {
    HistEvent ev;
    return history(h, &ev, H_SAVE, path);
}
static inline void shim_set_locale(void) { setlocale(LC_CTYPE, ""); }

#endif
