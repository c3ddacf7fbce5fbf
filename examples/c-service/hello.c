#include <stdio.h>

int main(void) {
    FILE *config = fopen("config.txt", "r");
    char line[128] = "no config";
    if (config) {
        if (!fgets(line, sizeof line, config)) line[0] = '\0';
        fclose(config);
    }
    printf("hello from dfopt (%s)\n", line[0] ? line : "empty config");
    return 0;
}
