// The qwenlayer binary: subcommands over the engine layers.
#include <cstdio>

int main(int argc, char** argv) {
  std::fprintf(stderr, "qwenlayer: no subcommands yet\n");
  return 2;
}
