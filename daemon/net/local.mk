# placeholder: this area has not landed yet
