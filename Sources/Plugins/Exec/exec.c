/* placeholder */ typedef int herald_exec_placeholder;
