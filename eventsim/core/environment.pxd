# Compiled build only (setup.py): the kernel's choice of the next entry as a C call (see environment.py).
cpdef tuple _next_entry(list queue, object due_now)
