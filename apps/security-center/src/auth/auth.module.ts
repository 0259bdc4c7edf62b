import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { LoginThrottle } from './login-throttle';
import { Session } from './session.entity';
import { User } from './user.entity';

@Module({
  controllers: [AuthController],
  exports: [AuthService],
  imports: [TypeOrmModule.forFeature([User, Session])],
  providers: [AuthService, LoginThrottle],
})
export class AuthModule {}
