<?php

namespace App;

final class Greeting
{
    public static function hi(): string
    {
        return 'hello from composer';
    }
}
